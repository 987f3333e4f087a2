namespace Isthmus.Events;

/// <summary>Where an event is in its life.</summary>
public enum EventStatus
{
    /// <summary>Appended and acknowledged; flows not yet run.</summary>
    Pending = 0,
    /// <summary>Every matching flow has a run (or was skipped by its condition).</summary>
    Processed = 1,
}

/// <summary>An event as kept in the event log. <see cref="Seq"/> is the order of acceptance.</summary>
/// <param name="Outcome">Once processed: what each matching flow did (<c>flow: run</c>, <c>flow: condition false</c>, …).</param>
public sealed record StoredEvent(
    long Seq,
    string Id,
    string Connection,
    string Type,
    string? Entity,
    string? Key,
    string? Subject,
    DateTimeOffset? Time,
    DateTimeOffset ReceivedAt,
    ReadOnlyMemory<byte> Data,
    string? TraceParent,
    EventStatus Status,
    int Replays,
    string? OnlyFlow,
    string? Outcome = null);

/// <summary>The answer to an append: the sequence number, and whether the event had been seen before.</summary>
public readonly record struct AppendResult(long Seq, bool Duplicate);
