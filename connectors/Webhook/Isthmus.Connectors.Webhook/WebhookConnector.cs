namespace Isthmus.Connectors.Webhook;

/// <summary>
/// Accepts JSON events posted to <c>/hooks/{connection}</c>. Checks run cheapest-first and in a fixed order
/// (media type, size, authentication, then content), so a caller always learns the first thing to fix.
/// </summary>
internal sealed class WebhookConnector(string connection, InboundAuth auth, EventReader reader, long maxBodySize, TimeProvider time)
    : IInboundConnector
{
    public string Connection { get; } = connection;

    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            // Synchronous work: a completed ValueTask avoids a state machine per call on the hot path.
            return ValueTask.FromResult(Receive(request));
        }
        catch (InboundRejectedException ex)
        {
            return ValueTask.FromException<Inbound>(ex);
        }
    }

    private Inbound Receive(InboundRequest request)
    {
        var contentType = request.ContentType
            ?? (request.Headers.TryGetValue("Content-Type", out var header) ? header : null);
        if (ContentTypeCheck.Problem(contentType) is { } problem)
        {
            throw new InboundRejectedException(InboundRejection.UnsupportedMediaType, problem);
        }

        if (request.Body.Length > maxBodySize)
        {
            throw new InboundRejectedException(InboundRejection.TooLarge,
                $"body is {request.Body.Length} bytes; this connection accepts at most {maxBodySize} bytes (maxBodySize)");
        }

        // Authenticate over the raw bytes before parsing, so unauthenticated input never reaches the JSON parser.
        auth.Verify(request, time.GetUtcNow());
        return new Inbound(reader.Read(request));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
