using Isthmus.Configuration;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// Creates <c>agora-chat</c> connections: Agora Chat (Easemob IM) post-delivery callbacks in, REST messages out.
/// See <c>docs/connectors/agora-chat.md</c> for every setting.
/// </summary>
public sealed class AgoraChatConnectorFactory : IConnectorFactory
{
    /// <summary>The connection kind.</summary>
    public const string KindName = "agora-chat";

    /// <summary>Agora's documented longest life of an AccessToken2.</summary>
    private static readonly TimeSpan MaxAgoraTokenTtl = TimeSpan.FromHours(24);

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);

        var baseUrl = settings.Text("baseUrl", required: true);
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            settings.Error("baseUrl", $"'{baseUrl}' must be an http(s) URL, e.g. https://a1.easemob.com");
        }

        var org = settings.Text("orgName");
        var app = settings.Text("appName");
        var appId = settings.Text("appId");
        var clientId = settings.Text("clientId");
        var clientSecret = settings.Text("clientSecret");
        var certificate = settings.Text("appCertificate");
        var exchange = settings.Bool("exchangeToken", true);
        var ttl = settings.Duration("tokenTtl");
        var secret = settings.Text("callbackSecret", required: true);
        var bot = settings.Text("botUser", defaultValue: "admin");
        var tolerance = settings.Duration("tolerance", TimeSpan.FromMinutes(5));
        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        var userRate = settings.Rate("userRate") ?? (100, TimeSpan.FromSeconds(1));
        var groupRate = settings.Rate("groupRate") ?? (20, TimeSpan.FromSeconds(1));
        var rewriteRate = settings.Rate("rewriteRate") ?? (100, TimeSpan.FromSeconds(1));
        var retries = settings.WholeNumber("rateLimitRetries", 0, 10, 3);

        string? prefix = null;
        if (org is not null || app is not null)
        {
            if (org is not { Length: > 0 } || app is not { Length: > 0 })
            {
                settings.Error(org is null ? "appName" : "orgName", "needs both orgName and appName (the two halves of the app key org#app)");
            }
            else
            {
                prefix = $"/{Uri.EscapeDataString(org)}/{Uri.EscapeDataString(app)}";
            }
        }
        else if (appId is { Length: > 0 })
        {
            prefix = $"/app-id/{Uri.EscapeDataString(appId)}";
        }
        else
        {
            settings.Error(null, "needs orgName and appName (URLs /{org}/{app}/…) or appId (URLs /app-id/{appId}/…)");
        }

        AgoraAuthMode? mode = null;
        if (clientId is not null || clientSecret is not null)
        {
            if (certificate is not null)
            {
                settings.Error("appCertificate", "cannot be used with clientId/clientSecret; choose one way to get a token");
            }
            else if (clientId is not { Length: > 0 } || clientSecret is not { Length: > 0 })
            {
                settings.Error(clientId is null ? "clientSecret" : "clientId", "needs both clientId and clientSecret");
            }
            else
            {
                mode = AgoraAuthMode.ClientCredentials;
            }
        }
        else if (certificate is not null)
        {
            if (!IsHex32(certificate))
            {
                settings.Error("appCertificate", "must be the 32 hexadecimal characters the console shows");
            }
            else if (appId is null || !IsHex32(appId))
            {
                settings.Error(appId is null ? "appCertificate" : "appId", "an App Certificate needs appId: the 32 hexadecimal characters of the App ID");
            }
            else
            {
                mode = exchange == false ? AgoraAuthMode.AgoraDirect : AgoraAuthMode.AgoraExchange;
            }
        }
        else
        {
            settings.Error(null, "needs clientId and clientSecret, or appId and appCertificate, to get an app token");
        }

        if (ttl is { } t && (t < TimeSpan.FromMinutes(1) || (certificate is not null && t > MaxAgoraTokenTtl)))
        {
            settings.Error("tokenTtl", certificate is not null ? "must be from 1m to 24h (Agora tokens live at most 24 hours)" : "must be at least 1m");
        }

        if (bot is { Length: 0 })
        {
            settings.Error("botUser", "must not be empty (the platform refuses an empty 'from')");
        }

        settings.RejectUnknownKeys("kind");
        if (settings.HasErrors || baseUrl is null || prefix is null || mode is null || secret is null || bot is null
            || tolerance is null || timeout is null || retries is null)
        {
            return null;
        }

        var options = new AgoraChatOptions(baseUrl.TrimEnd('/') + prefix, mode.Value, clientId, clientSecret, appId, certificate, ttl,
            secret, bot, tolerance.Value, timeout.Value, userRate, groupRate, rewriteRate, retries.Value);
        return new AgoraChatConnector(settings.Name, options, context);
    }

    private static bool IsHex32(string value) => value.Length == 32 && value.All(Uri.IsHexDigit);
}
