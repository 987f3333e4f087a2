namespace Isthmus.Connectors;

/// <summary>
/// One side effect to perform on a connection. Written to the outbox in the same transaction as the
/// step that caused it; sent, retried and recorded by the host.
/// </summary>
/// <param name="Action">What to do, in the connector's terms (<c>request</c> for <c>http</c>).</param>
/// <param name="Payload">The action's arguments as UTF-8 JSON, e.g. <c>{"method":"POST","path":"/x","headers":{},"body":{}}</c>.</param>
/// <param name="Attempt">1 for the first attempt.</param>
/// <param name="TraceParent">W3C <c>traceparent</c> of the event's trace, to send downstream.</param>
public sealed record Delivery(
    long Id,
    string Connection,
    string Action,
    ReadOnlyMemory<byte> Payload,
    string IdempotencyKey,
    int Attempt,
    string? TraceParent);

/// <summary>The outcome of a successful delivery.</summary>
/// <param name="StatusCode">The platform's status (HTTP status for <c>http</c>).</param>
/// <param name="Detail">A short excerpt of the answer, for the delivery's record.</param>
public sealed record DeliveryReceipt(int? StatusCode, string? Detail);
