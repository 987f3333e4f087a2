using System.Globalization;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// Calls the WeCom server API with the app's access token: fetched once and cached, refreshed before it expires,
/// and fetched anew when WeCom answers 40014/42001/40001, after which the call is made again at once.
/// </summary>
internal sealed class WeComApi : IDisposable
{
    private readonly WeComSettings _settings;
    private readonly HttpClient _http;
    private readonly AccessTokenCache _tokens;

    public WeComApi(WeComSettings settings, TimeProvider time, HttpMessageHandler? handler)
    {
        _settings = settings;
        _http = handler is null ? PlatformHttp.CreateClient(settings.Timeout) : new HttpClient(handler, disposeHandler: false) { Timeout = settings.Timeout };
        _tokens = new AccessTokenCache(FetchTokenAsync, time);
    }

    /// <summary>How many tokens were fetched.</summary>
    public int TokenFetches => _tokens.Fetches;

    /// <summary>
    /// POSTs <paramref name="body"/> to <paramref name="path"/> with the access token; throws the classified failure,
    /// except for the <c>errcode</c>s in <paramref name="answers"/>, which are returned for the caller to read.
    /// </summary>
    public async Task<PlatformResponse> PostAsync(string path, object body, string call, CancellationToken cancellationToken, params long[] answers)
    {
        var response = await _tokens.CallAsync(async token =>
        {
            using var request = PlatformHttp.Post(Url(path, "access_token", token), body);
            return await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        }, r => WeComErrors.IsTokenRejected(WeComErrors.Code(r)), cancellationToken).ConfigureAwait(false);
        if (!answers.Contains(WeComErrors.Code(response)))
        {
            WeComErrors.ThrowIfError(response, call);
        }

        return response;
    }

    /// <summary>POSTs to a group bot's webhook; the key in the URL is its only credential.</summary>
    public async Task<PlatformResponse> BotAsync(string key, object body, string call, CancellationToken cancellationToken)
    {
        using var request = PlatformHttp.Post(Url("cgi-bin/webhook/send", "key", key), body);
        var response = await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        WeComErrors.ThrowIfError(response, call);
        return response;
    }

    private async Task<AccessToken> FetchTokenAsync(CancellationToken cancellationToken)
    {
        const string call = "wecom gettoken";
        var url = Url("cgi-bin/gettoken", "corpid", _settings.CorpId) + "&corpsecret=" + Uri.EscapeDataString(_settings.Secret);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var response = await PlatformHttp.SendAsync(_http, request, call, cancellationToken).ConfigureAwait(false);
        WeComErrors.ThrowIfError(response, call);
        var value = response.Text("access_token");
        if (string.IsNullOrEmpty(value))
        {
            throw new ConnectorException($"{call}: the answer has no access_token", FailureKind.Transient, statusCode: response.StatusCode);
        }

        return new AccessToken(value, TimeSpan.FromSeconds(response.Number("expires_in") ?? 7200));
    }

    private string Url(string path, string name, string value) =>
        string.Create(CultureInfo.InvariantCulture, $"{_settings.BaseUrl}{path}?{name}={Uri.EscapeDataString(value)}");

    public void Dispose()
    {
        _http.Dispose();
        _tokens.Dispose();
    }
}
