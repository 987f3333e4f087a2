namespace Isthmus.Connectors.Webhook;

/// <summary>Authenticates one inbound call before its body is parsed. Throws <see cref="InboundRejectedException"/> to refuse it.</summary>
internal abstract class InboundAuth
{
    public abstract void Verify(InboundRequest request, DateTimeOffset now);

    protected static string RequiredHeader(InboundRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw Unauthorized($"missing header {name}");

    protected static InboundRejectedException Unauthorized(string message) => new(InboundRejection.Unauthorized, message);
}

/// <summary><c>type: none</c>, written explicitly: anyone who knows the URL may post.</summary>
internal sealed class NoAuth : InboundAuth
{
    public override void Verify(InboundRequest request, DateTimeOffset now)
    {
    }
}
