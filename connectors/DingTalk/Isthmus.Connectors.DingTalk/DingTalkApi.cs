using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// Calls DingTalk's APIs for one app: the v1.0 API with the header <c>x-acs-dingtalk-access-token</c>, the legacy
/// API with <c>?access_token=</c>, and custom robot webhooks. Holds the app's token (refreshed before expiry, and
/// once at once when DingTalk says it expired) and queues sends to the app's and each robot's limits.
/// </summary>
internal sealed class DingTalkApi : IAsyncDisposable
{
    private const string TokenHeader = "x-acs-dingtalk-access-token";
    private readonly DingTalkSettings _settings;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly SendRateLimiter _appLimiter;
    private readonly Dictionary<string, SendRateLimiter> _botLimiters;

    public DingTalkApi(DingTalkSettings settings, TimeProvider time, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _time = time;
        _http = handler is null ? PlatformHttp.CreateClient(settings.Timeout) : new HttpClient(handler) { Timeout = settings.Timeout };
        Tokens = new AccessTokenCache(FetchTokenAsync, time);
        _appLimiter = new SendRateLimiter(settings.AppRate.Permits, settings.AppRate.Window);
        // A robot that goes over its limit is muted for ten minutes, so its window is kept half again as long as the limit
        // says: the limiter frees permits up to a sixth of a window early, and a send reaches DingTalk after it is let go.
        _botLimiters = settings.Bots.Values.ToDictionary(b => b.Name, b => new SendRateLimiter(b.Permits, b.Window * 1.5), StringComparer.Ordinal);
    }

    /// <summary>The app's access token.</summary>
    public AccessTokenCache Tokens { get; }

    /// <summary>Calls the v1.0 API; a token DingTalk calls expired is dropped and the call made once more at once.</summary>
    public async Task<JsonElement> OpenApiAsync(HttpMethod method, string path, object body, string call, CancellationToken cancellationToken)
    {
        await _appLimiter.WaitAsync(_settings.AppKey, cancellationToken).ConfigureAwait(false);
        var response = await Tokens.CallAsync(async token =>
        {
            using var request = new HttpRequestMessage(method, new Uri(_settings.ApiBaseUrl, path)) { Content = PlatformHttp.JsonContent(body) };
            request.Headers.TryAddWithoutValidation(TokenHeader, token);
            return await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        }, r => DingTalkErrors.OpenApi(r) == DingTalkOutcome.TokenExpired, cancellationToken).ConfigureAwait(false);
        return DingTalkErrors.OpenApi(response) switch
        {
            DingTalkOutcome.Ok => response.Body,
            DingTalkOutcome.TokenExpired => throw new ConnectorException(
                $"{call}: DingTalk refused a freshly issued access token ({response.Text("code")}: {response.Text("message")})",
                FailureKind.Unauthorized, statusCode: response.StatusCode),
            _ => throw DingTalkErrors.Failure(call, response),
        };
    }

    /// <summary>Calls the legacy API (<c>oapi</c>) with <c>?access_token=</c>; the token is refreshed once as above.</summary>
    public async Task<PlatformResponse> LegacyAsync(string path, object body, string call, CancellationToken cancellationToken, Func<PlatformResponse, bool>? accept = null)
    {
        await _appLimiter.WaitAsync(_settings.AppKey, cancellationToken).ConfigureAwait(false);
        var response = await Tokens.CallAsync(async token =>
        {
            using var request = PlatformHttp.Post(new Uri(_settings.OapiBaseUrl, path + "?access_token=" + Uri.EscapeDataString(token)).ToString(), body);
            return await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        }, r => DingTalkErrors.Legacy(r) == DingTalkOutcome.TokenExpired, cancellationToken).ConfigureAwait(false);
        return DingTalkErrors.Legacy(response) switch
        {
            DingTalkOutcome.Ok => response,
            DingTalkOutcome.TokenExpired => throw new ConnectorException($"{call}: DingTalk refused a freshly issued access token ({response.Text("errmsg")})",
                FailureKind.Unauthorized, statusCode: response.StatusCode),
            _ when accept?.Invoke(response) == true => response,
            _ => throw DingTalkErrors.LegacyFailure(call, response),
        };
    }

    /// <summary>Posts a message to a custom group robot, signed when it has a secret, held to its limit (20 a minute).</summary>
    public async Task<PlatformResponse> RobotAsync(DingTalkBot bot, JsonObject message, CancellationToken cancellationToken)
    {
        await _botLimiters[bot.Name].WaitAsync(bot.Name, cancellationToken).ConfigureAwait(false);
        var url = bot.Webhook.ToString();
        if (bot.Secret is { } secret)
        {
            var timestamp = DingTalkSignatures.Milliseconds(_time.GetUtcNow());
            url += $"&timestamp={timestamp}&sign={DingTalkSignatures.RobotSignUrlEncoded(secret, timestamp)}";
        }

        var call = $"dingtalk robot '{bot.Name}' send";
        using var request = PlatformHttp.Post(url, message);
        var response = await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        return DingTalkErrors.Legacy(response) == DingTalkOutcome.Ok ? response : throw DingTalkErrors.LegacyFailure(call, response);
    }

    private async Task<AccessToken> FetchTokenAsync(CancellationToken cancellationToken)
    {
        const string call = "dingtalk access token";
        using var request = PlatformHttp.Post(new Uri(_settings.ApiBaseUrl, "v1.0/oauth2/accessToken").ToString(),
            new { appKey = _settings.AppKey, appSecret = _settings.AppSecret });
        var response = await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is >= 200 and < 300 && response.Text("accessToken") is { Length: > 0 } token)
        {
            var seconds = response.Number("expireIn") ?? 7200;
            return new AccessToken(token, TimeSpan.FromSeconds(Math.Max(60, seconds)));
        }

        var failure = DingTalkErrors.Failure(call, response);
        // A refused appKey/appSecret is a credential problem whatever the status says.
        throw failure.Kind == FailureKind.Rejected ? new ConnectorException(failure.Message + " (check appKey and appSecret)", FailureKind.Unauthorized, statusCode: response.StatusCode) : failure;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        Tokens.Dispose();
        await _appLimiter.DisposeAsync().ConfigureAwait(false);
        foreach (var limiter in _botLimiters.Values)
        {
            await limiter.DisposeAsync().ConfigureAwait(false);
        }
    }
}
