using System.Net.Http.Headers;
using System.Security.Cryptography;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// Fetches the app token the REST API accepts, in the connection's way: Easemob client credentials, an Agora
/// AccessToken2 exchanged for an Easemob token, or the AccessToken2 itself. The cache is told half the real life,
/// so a token is replaced when about half its life has passed, as the vendor's server SDK does.
/// </summary>
internal sealed class AppTokenSource(AgoraChatOptions options, HttpClient http, TimeProvider time)
{
    /// <summary>Agora's longest token life, used when no <c>tokenTtl</c> is set for Agora tokens.</summary>
    private static readonly TimeSpan DefaultAgoraTtl = TimeSpan.FromHours(24);

    /// <summary>What to assume when the platform says a token never expires (<c>expires_in: 0</c>).</summary>
    private static readonly TimeSpan NeverExpiresRefresh = TimeSpan.FromDays(1);

    public async Task<AccessToken> FetchAsync(CancellationToken cancellationToken)
    {
        var (value, lifetime) = options.Auth switch
        {
            AgoraAuthMode.ClientCredentials => await ClientCredentialsAsync(cancellationToken).ConfigureAwait(false),
            AgoraAuthMode.AgoraExchange => await ExchangeAsync(AgoraToken(), cancellationToken).ConfigureAwait(false),
            _ => (AgoraToken(), options.TokenTtl ?? DefaultAgoraTtl),
        };
        return new AccessToken(value, lifetime / 2);
    }

    /// <summary>A fresh Agora app token (issued now, random salt).</summary>
    internal string AgoraToken()
    {
        var now = (uint)time.GetUtcNow().ToUnixTimeSeconds();
        var salt = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        var ttl = (uint)(options.TokenTtl ?? DefaultAgoraTtl).TotalSeconds;
        return AccessToken2.AppToken(options.AppId!, options.AppCertificate!, now, salt, ttl);
    }

    private async Task<(string, TimeSpan)> ClientCredentialsAsync(CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = options.ClientId!,
            ["client_secret"] = options.ClientSecret!,
        };
        if (options.TokenTtl is { } ttl)
        {
            body["ttl"] = (long)ttl.TotalSeconds;
        }

        using var request = PlatformHttp.Post(options.ApiRoot + "/token", body);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var seconds = response.Number("expires_in") ?? 0;
        return (Token(response), seconds > 0 ? TimeSpan.FromSeconds(seconds) : NeverExpiresRefresh);
    }

    private async Task<(string, TimeSpan)> ExchangeAsync(string agoraToken, CancellationToken cancellationToken)
    {
        using var request = PlatformHttp.Post(options.ApiRoot + "/token", new Dictionary<string, object> { ["grant_type"] = "agora" });
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agoraToken);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        TimeSpan lifetime;
        if (response.Number("expire_timestamp") is { } expiresMs)
        {
            lifetime = DateTimeOffset.FromUnixTimeMilliseconds(expiresMs) - time.GetUtcNow();
        }
        else
        {
            lifetime = response.Number("expires_in") is > 0 and var s ? TimeSpan.FromSeconds(s) : NeverExpiresRefresh;
        }

        return (Token(response), lifetime > TimeSpan.FromSeconds(2) ? lifetime : TimeSpan.FromSeconds(2));
    }

    private async Task<PlatformResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await PlatformHttp.SendAsync(http, request, "agora-chat token", cancellationToken).ConfigureAwait(false);
        return response.StatusCode is >= 200 and < 300 ? response
            : throw new ConnectorException(
                $"agora-chat token: {response.StatusCode} {AgoraChatErrors.Describe(response)}; check the connection's credentials",
                FailureKind.Unauthorized, statusCode: response.StatusCode);
    }

    private static string Token(PlatformResponse response) => response.Text("access_token") is { Length: > 0 } token ? token
        : throw new ConnectorException("agora-chat token: the answer has no access_token", FailureKind.Transient, statusCode: response.StatusCode);
}
