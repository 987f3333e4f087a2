using System.Net.Http.Headers;

namespace Isthmus.Connectors.Http;

/// <summary>
/// Builds the HTTP request for one attempt. Headers are applied in increasing precedence: the connection's static
/// headers, its auth, the payload's headers, and last the idempotency key and traceparent, which belong to the
/// delivery and must not be overridden by data.
/// </summary>
internal static class OutboundRequest
{
    private static readonly string[] Reserved = ["Host", "Content-Length", "Transfer-Encoding", "Connection"];

    public static HttpRequestMessage Create(HttpConnectionOptions options, Delivery delivery, RequestPayload payload, Uri url)
    {
        var request = new HttpRequestMessage(payload.Method, url);
        if (payload.Body is { } body)
        {
            request.Content = new ReadOnlyMemoryContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, value) in options.Headers)
        {
            Set(request, name, value);
        }

        foreach (var (name, value) in payload.Headers)
        {
            if (!Reserved.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                Set(request, name, value);
            }
        }

        Set(request, options.IdempotencyHeader, delivery.IdempotencyKey);
        if (!string.IsNullOrEmpty(delivery.TraceParent))
        {
            Set(request, "traceparent", delivery.TraceParent);
        }

        return request;
    }

    internal static void Set(HttpRequestMessage request, string name, string value)
    {
        // Content-Type, Content-Language and friends belong to the content; without a body they have no meaning.
        if (IsContentHeader(name))
        {
            request.Content?.Headers.Remove(name);
            request.Content?.Headers.TryAddWithoutValidation(name, value);
            return;
        }

        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Allow", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase);
}
