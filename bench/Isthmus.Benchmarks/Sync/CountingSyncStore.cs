using System.Collections.Concurrent;
using System.Diagnostics;
using Isthmus.Storage;
using Isthmus.Sync;

namespace Isthmus.Benchmarks.Sync;

/// <summary>
/// The engine's sync store with a count and the total time of every call, by method, so the report can say how many
/// store round trips each record cost and where the time went. Adds two timestamps per call, nothing else.
/// </summary>
public sealed class CountingSyncStore(ISyncStore inner) : ISyncStore
{
    readonly ConcurrentDictionary<string, Counter> _calls = new(StringComparer.Ordinal);
    long _committedRows;

    sealed class Counter
    {
        public long Calls;
        public long Ticks;
        public long Items;
    }

    /// <summary>A copy of the counts so far: method → (calls, total time, items read or written).</summary>
    public IReadOnlyDictionary<string, (long Calls, TimeSpan Time, long Items)> Snapshot() =>
        _calls.ToDictionary(kv => kv.Key, kv => (Interlocked.Read(ref kv.Value.Calls), Stopwatch.GetElapsedTime(0, Interlocked.Read(ref kv.Value.Ticks)),
            Interlocked.Read(ref kv.Value.Items)), StringComparer.Ordinal);

    /// <summary>Rows written by commits so far (entities, match keys excluded, links, writes, conflicts, errors).</summary>
    public long CommittedRows => Interlocked.Read(ref _committedRows);

    async Task<T> Timed<T>(string name, Func<Task<T>> call, Func<T, int> items)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await call().ConfigureAwait(false);
        var counter = _calls.GetOrAdd(name, _ => new Counter());
        Interlocked.Increment(ref counter.Calls);
        Interlocked.Add(ref counter.Ticks, Stopwatch.GetTimestamp() - start);
        Interlocked.Add(ref counter.Items, items(result));
        return result;
    }

    public Task<IReadOnlyList<LinkState>> LinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken) =>
        Timed(nameof(LinksByRecordAsync), () => inner.LinksByRecordAsync(entity, connection, recordType, recordIds, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<(LinkState Link, EntityState? Entity)>> ComparisonAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds,
        CancellationToken cancellationToken) =>
        Timed(nameof(ComparisonAsync), () => inner.ComparisonAsync(entity, connection, recordType, recordIds, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<LinkState>> DeletedLinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds,
        CancellationToken cancellationToken) =>
        Timed(nameof(DeletedLinksByRecordAsync), () => inner.DeletedLinksByRecordAsync(entity, connection, recordType, recordIds, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<LinkState>> LinksOfAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        Timed(nameof(LinksOfAsync), () => inner.LinksOfAsync(entity, entityIds, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<LinkState>> LinksToAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        Timed(nameof(LinksToAsync), () => inner.LinksToAsync(entity, connection, recordType, entityIds, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<LinkState>> CreatingLinksAsync(string entity, string connection, string recordType, CancellationToken cancellationToken) =>
        Timed(nameof(CreatingLinksAsync), () => inner.CreatingLinksAsync(entity, connection, recordType, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<EntityState>> EntitiesAsync(string entity, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        Timed(nameof(EntitiesAsync), () => inner.EntitiesAsync(entity, ids, cancellationToken), r => r.Count);

    public Task<IReadOnlyDictionary<string, string>> MatchAsync(string entity, IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        Timed(nameof(MatchAsync), () => inner.MatchAsync(entity, keys, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<SyncConflict>> OpenConflictsAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        Timed(nameof(OpenConflictsAsync), () => inner.OpenConflictsAsync(entity, entityIds, cancellationToken), r => r.Count);

    public Task<string?> CursorAsync(string entity, string connection, string recordType, CancellationToken cancellationToken) =>
        Timed(nameof(CursorAsync), () => inner.CursorAsync(entity, connection, recordType, cancellationToken), _ => 1);

    public Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Timed(nameof(DueWritesAsync), () => inner.DueWritesAsync(connection, now, limit, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, IReadOnlyCollection<long> except, CancellationToken cancellationToken) =>
        Timed(nameof(DueWritesAsync), () => inner.DueWritesAsync(connection, now, limit, except, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<SyncWrite>> QueuedWritesAsync(string entity, IReadOnlyCollection<string> entityIds, string? connection, CancellationToken cancellationToken) =>
        Timed(nameof(QueuedWritesAsync), () => inner.QueuedWritesAsync(entity, entityIds, connection, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<SyncError>> OpenWriteErrorsAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds,
        CancellationToken cancellationToken) =>
        Timed(nameof(OpenWriteErrorsAsync), () => inner.OpenWriteErrorsAsync(entity, connection, recordType, entityIds, cancellationToken), r => r.Count);

    public Task CommitAsync(SyncCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var rows = commit.Entities.Count + commit.Links.Count + commit.Unlinks.Count + commit.NewWrites.Count + commit.RemovedWrites.Count
            + commit.ClearedWrites.Count + commit.RescheduledWrites.Count + commit.NewConflicts.Count + commit.UpdatedConflicts.Count
            + commit.NewErrors.Count + commit.ClosedErrors.Count;
        Interlocked.Add(ref _committedRows, rows);
        return Timed(nameof(CommitAsync), async () =>
        {
            await inner.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            return rows;
        }, r => r);
    }

    public Task<IReadOnlyList<string>> EntityIdPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken) =>
        Timed(nameof(EntityIdPageAsync), () => inner.EntityIdPageAsync(entity, afterId, limit, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<EntityState>> EntityPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken) =>
        Timed(nameof(EntityPageAsync), () => inner.EntityPageAsync(entity, afterId, limit, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<LinkState>> LinkPageAsync(string entity, string connection, string recordType, string? afterEntityId, int limit, CancellationToken cancellationToken) =>
        Timed(nameof(LinkPageAsync), () => inner.LinkPageAsync(entity, connection, recordType, afterEntityId, limit, cancellationToken), r => r.Count);

    public Task<IReadOnlyList<SyncConflict>> ConflictsAsync(bool openOnly, int limit, CancellationToken cancellationToken) => inner.ConflictsAsync(openOnly, limit, cancellationToken);

    public Task<SyncConflict?> ConflictAsync(long id, CancellationToken cancellationToken) => inner.ConflictAsync(id, cancellationToken);

    public Task<IReadOnlyList<SyncError>> ErrorsAsync(bool openOnly, int limit, CancellationToken cancellationToken) => inner.ErrorsAsync(openOnly, limit, cancellationToken);

    public Task<SyncError?> ErrorAsync(long id, CancellationToken cancellationToken) => inner.ErrorAsync(id, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken) => inner.CountsAsync(cancellationToken);

    public Task<IReadOnlyList<(string Entity, string Connection, string RecordType, string? Cursor, DateTimeOffset UpdatedAt)>> CursorsAsync(CancellationToken cancellationToken) =>
        inner.CursorsAsync(cancellationToken);

    public Task<long> SaveReconciliationAsync(string entity, bool dryRun, DateTimeOffset startedAt, DateTimeOffset finishedAt, string report, CancellationToken cancellationToken) =>
        Timed(nameof(SaveReconciliationAsync), () => inner.SaveReconciliationAsync(entity, dryRun, startedAt, finishedAt, report, cancellationToken), _ => 1);

    public Task<IReadOnlyList<ReconciliationRecord>> ReconciliationsAsync(int limit, CancellationToken cancellationToken) => inner.ReconciliationsAsync(limit, cancellationToken);

    public Task<ReconciliationRecord?> ReconciliationAsync(long id, CancellationToken cancellationToken) => inner.ReconciliationAsync(id, cancellationToken);

    public Task<IReadOnlyList<EntityState>> UnlinkedEntitiesAsync(string entity, string connection, string recordType, string? afterId, int limit, CancellationToken cancellationToken) =>
        Timed(nameof(UnlinkedEntitiesAsync), () => inner.UnlinkedEntitiesAsync(entity, connection, recordType, afterId, limit, cancellationToken), r => r.Count);
}
