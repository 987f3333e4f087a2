namespace Isthmus.Connectors;

/// <summary>What an inbound call produced: events to append, and optionally the exact reply the platform expects.</summary>
/// <param name="Reply">A platform-specific reply (challenge echo, encrypted "success"); <c>null</c> lets the host answer 202/200.</param>
public sealed record Inbound(IReadOnlyList<EventDraft> Events, InboundReply? Reply = null);

/// <summary>A reply written verbatim to the caller.</summary>
public sealed record InboundReply(int StatusCode, string ContentType, ReadOnlyMemory<byte> Body);

/// <summary>
/// An event as decoded by a connector, before the store gives it a sequence number.
/// </summary>
/// <param name="Id">The event id (from the sender, or generated).</param>
/// <param name="Type">e.g. <c>approval.updated</c>.</param>
/// <param name="Key">The entity key; events with the same key are processed in order. <c>null</c>: unordered.</param>
/// <param name="Entity">The entity name, e.g. <c>Order</c>, when known.</param>
/// <param name="Data">The event's data as UTF-8 JSON.</param>
/// <param name="DedupKey">What makes a redelivery recognisable; defaults to <paramref name="Id"/>.</param>
public sealed record EventDraft(
    string Id,
    string Type,
    string? Key,
    string? Entity,
    string? Subject,
    DateTimeOffset? Time,
    ReadOnlyMemory<byte> Data,
    string? DedupKey = null)
{
    /// <summary>The key used to recognise a redelivery.</summary>
    public string EffectiveDedupKey => DedupKey ?? Id;
}
