using System.Net.Http.Headers;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// Calls the Agora Chat REST API with the app token: a token the platform calls expired is fetched anew and the call
/// made again at once (once); the platform's rate-limit answers (403 "message send reach limit", 429) are waited out
/// a few times before the delivery is handed back as rate-limited.
/// </summary>
internal sealed class AgoraChatApi(AgoraChatOptions options, HttpClient http, AccessTokenCache tokens, TimeProvider time)
{
    /// <summary>Calls <paramref name="path"/> (under the app prefix) with a JSON body; returns the successful answer.</summary>
    public async Task<PlatformResponse> CallAsync(HttpMethod method, string path, object body, string call, CancellationToken cancellationToken)
    {
        var renewed = false;
        var waits = 0;
        while (true)
        {
            var token = await tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, options.ApiRoot + path) { Content = PlatformHttp.JsonContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            PlatformResponse response;
            try
            {
                response = await PlatformHttp.SendAsync(http, request, call, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectorException ex) when (ex.Kind == FailureKind.RateLimited && waits < options.RateLimitRetries)
            {
                waits++;
                await Task.Delay(ex.RetryAfter ?? TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (response.StatusCode is >= 200 and < 300)
            {
                return response;
            }

            if (AgoraChatErrors.TokenExpired(response) && !renewed)
            {
                renewed = true;
                tokens.Invalidate(token);
                continue;
            }

            if (AgoraChatErrors.QuotaReached(response) && waits < options.RateLimitRetries)
            {
                waits++;
                await Task.Delay(response.RetryAfter ?? TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            throw AgoraChatErrors.Failure(call, response);
        }
    }
}
