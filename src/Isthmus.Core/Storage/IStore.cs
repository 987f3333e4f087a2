using Isthmus.Connectors;
using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Runs;

namespace Isthmus.Storage;

/// <summary>
/// The durable state of Isthmus: event log, runs, outbox, dead letters, and the small tables beside them.
/// Writes are atomic per call; an engine may batch concurrent calls into one commit (group commit) but a
/// call's task completes only once its data is durable.
/// </summary>
/// <remarks>
/// Nothing here assumes one process: pending work is read back by cursor, so an engine shared by several
/// nodes can hand it out under leases.
/// </remarks>
public interface IStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Appends an event unless (connection, dedup key) is already in the log.</summary>
    ValueTask<AppendResult> AppendEventAsync(string connection, EventDraft draft, DateTimeOffset receivedAt, string? traceParent, CancellationToken cancellationToken);

    /// <summary>Pending events with <c>seq &gt; afterSeq</c>, oldest first.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadPendingEventsAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Marks the event processed and writes its runs, their deliveries and the change state, in one transaction.</summary>
    /// <returns>The deliveries created, with their ids, in creation order.</returns>
    ValueTask<IReadOnlyList<PendingDelivery>> CompleteEventAsync(EventCompletion completion, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The last watched value of an only-on-change filter.</summary>
    ValueTask<(bool Found, string? Value)> ReadChangeStateAsync(string flow, string key, CancellationToken cancellationToken);

    /// <summary>Pending deliveries with <c>id &gt; afterId</c>, oldest first.</summary>
    Task<IReadOnlyList<PendingDelivery>> ReadPendingDeliveriesAsync(long afterId, int limit, CancellationToken cancellationToken);

    /// <summary>Records an attempt and moves its delivery (and, when terminal, its run) on, in one transaction.</summary>
    ValueTask RecordAttemptAsync(AttemptRecord attempt, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the store to hand over, right after each commit, the events it appended and the deliveries it created, in
    /// id order, so the engine need not read them back. The callbacks run on the committing thread, one commit at a
    /// time in commit order, and must be quick and never throw. Returns <c>false</c> when this engine does not do it;
    /// pending work is then read by cursor only.
    /// </summary>
    bool WatchCommits(Action<IReadOnlyList<StoredEvent>> events, Action<IReadOnlyList<PendingDelivery>> deliveries) => false;

    /// <summary>Deletes processed events, finished runs and their deliveries older than <paramref name="before"/>.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Queries and manual actions for the API and the CLI.</summary>
    IStoreAdmin Admin { get; }

    /// <summary>The state of two-way sync, in the same database.</summary>
    ISyncStore Sync { get; }
}
