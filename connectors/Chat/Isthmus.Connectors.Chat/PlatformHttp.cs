using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Isthmus.Connectors.Chat;

/// <summary>A platform API's answer: HTTP status, the JSON body (an empty object when there was none).</summary>
public sealed record PlatformResponse(int StatusCode, JsonElement Body, TimeSpan? RetryAfter)
{
    /// <summary>A property of the body as text, or <c>null</c>.</summary>
    public string? Text(string name) => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var v)
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
        : null;

    /// <summary>A property of the body as a number, or <c>null</c>.</summary>
    public long? Number(string name) => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;
}

/// <summary>
/// One HTTP call to a platform API. Transport failures, timeouts, 5xx and 408 are transient, 429 is rate-limited
/// (with <c>Retry-After</c>); everything else is returned for the connector to read the platform's own error code.
/// </summary>
public static class PlatformHttp
{
    /// <summary>Sends <paramref name="request"/> and reads the JSON answer.</summary>
    /// <param name="call">What is being done, for messages, e.g. <c>feishu send message</c>.</param>
    public static async Task<PlatformResponse> SendAsync(HttpClient client, HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ConnectorException($"{call}: {ex.Message}", FailureKind.Transient, innerException: ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectorException($"{call}: timed out", FailureKind.Transient, innerException: ex);
        }

        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var retryAfter = RetryAfter(response.Headers.RetryAfter);
            if (status == 429)
            {
                throw new ConnectorException($"{call}: 429 rate limited", FailureKind.RateLimited, retryAfter, status);
            }

            if (status is 408 or >= 500)
            {
                throw new ConnectorException($"{call}: {status} {response.ReasonPhrase}", FailureKind.Transient, retryAfter, status);
            }

            JsonElement body;
            try
            {
                body = bytes.Length == 0 ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(bytes).RootElement;
            }
            catch (JsonException)
            {
                // Some endpoints answer plain text (Slack's incoming webhooks say "ok").
                body = JsonSerializer.SerializeToElement(System.Text.Encoding.UTF8.GetString(bytes));
            }

            return new PlatformResponse(status, body, retryAfter);
        }
    }

    /// <summary>A JSON POST request.</summary>
    public static HttpRequestMessage Post(string url, object body) =>
        new(HttpMethod.Post, url) { Content = JsonContent(body) };

    /// <summary>UTF-8 JSON content of <paramref name="body"/> (a <see cref="JsonElement"/>, node or any serializable object).</summary>
    public static ByteArrayContent JsonContent(object body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ChatEvents.Json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>An <see cref="HttpClient"/> for one connection: no cookies, no redirects, <paramref name="timeout"/> per call.</summary>
    public static HttpClient CreateClient(TimeSpan timeout) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = timeout,
        };

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? value) => value switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero,
        _ => null,
    };
}
