using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Calls the Feishu open API with a tenant access token: fetched from
/// <c>auth/v3/tenant_access_token/internal</c>, cached, refreshed before expiry, and on a "token invalid/expired"
/// code dropped and fetched anew with the call made again once. Non-zero codes are classified by <see cref="FeishuErrors"/>.
/// </summary>
internal sealed class FeishuApi : IDisposable
{
    private readonly FeishuSettings _settings;
    private readonly HttpClient _http;
    private readonly AccessTokenCache _tokens;

    public FeishuApi(FeishuSettings settings, TimeProvider time, HttpMessageHandler? handler)
    {
        _settings = settings;
        _http = handler is null ? PlatformHttp.CreateClient(settings.Timeout) : new HttpClient(handler, disposeHandler: false) { Timeout = settings.Timeout };
        _tokens = new AccessTokenCache(FetchTokenAsync, time);
    }

    /// <summary>How many tenant tokens were fetched.</summary>
    public int TokenFetches => _tokens.Fetches;

    /// <summary>The underlying client (custom bot webhooks need no token).</summary>
    public HttpClient Http => _http;

    /// <summary>Calls <paramref name="path"/> (relative to the base URL) and returns <c>data</c> of a code-0 answer.</summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string path, object? body, string call, CancellationToken cancellationToken)
    {
        var response = await _tokens.CallAsync(async token =>
        {
            using var request = new HttpRequestMessage(method, new Uri(_settings.BaseUrl, path));
            if (body is not null)
            {
                request.Content = PlatformHttp.JsonContent(body);
            }

            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        }, r => FeishuErrors.IsTokenError(Code(r)), cancellationToken).ConfigureAwait(false);
        var code = Code(response);
        if (code != 0)
        {
            throw FeishuErrors.Failure(call, code, response.Text("msg"), response.StatusCode);
        }

        return response.Body.TryGetProperty("data", out var data) ? data.Clone() : default;
    }

    private static long Code(PlatformResponse response) => response.Number("code") ?? (response.StatusCode is >= 200 and < 300 ? 0 : -1);

    private async Task<AccessToken> FetchTokenAsync(CancellationToken cancellationToken)
    {
        const string call = "feishu tenant_access_token";
        using var request = PlatformHttp.Post(new Uri(_settings.BaseUrl, "open-apis/auth/v3/tenant_access_token/internal").ToString(),
            new { app_id = _settings.AppId, app_secret = _settings.AppSecret });
        var response = await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        var code = response.Number("code") ?? -1;
        if (code != 0 || response.Text("tenant_access_token") is not { Length: > 0 } token)
        {
            throw FeishuErrors.Failure(call, code, response.Text("msg"), response.StatusCode);
        }

        return new AccessToken(token, TimeSpan.FromSeconds(Math.Clamp(response.Number("expire") ?? 7200, 60, 86400)));
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _http.Dispose();
    }
}
