using Isthmus.Sync;

namespace Isthmus.Storage;

/// <summary>Everything one sync step changes, written in one transaction.</summary>
public sealed class SyncCommit
{
    /// <summary>Entities to insert or replace, with their identity-match keys.</summary>
    public List<(EntityState Entity, IReadOnlyList<string> MatchKeys)> Entities { get; } = [];

    /// <summary>Links to insert or replace.</summary>
    public List<LinkState> Links { get; } = [];

    /// <summary>Links to remove.</summary>
    public List<LinkState> Unlinks { get; } = [];

    /// <summary>
    /// Links removed because their record was deleted, kept apart (never read as links) so that the record, should it come
    /// back, revives its entity. Inserted or replaced.
    /// </summary>
    public List<LinkState> DeletedLinks { get; } = [];

    /// <summary>Kept deleted links no longer wanted (their record came back, or was linked again): (entity, connection, record type, record id).</summary>
    public List<(string Entity, string Connection, string RecordType, string RecordId)> ForgottenDeletedLinks { get; } = [];

    /// <summary>New writes for the outbox.</summary>
    public List<SyncWrite> NewWrites { get; } = [];

    /// <summary>Writes done, superseded or given up.</summary>
    public List<long> RemovedWrites { get; } = [];

    /// <summary>Links whose every queued write is dropped (their plan rested on a stale version): (entity, entity id, connection, record type).</summary>
    public List<(string Entity, string EntityId, string Connection, string RecordType)> ClearedWrites { get; } = [];

    /// <summary>Writes to try again later (attempts, next time, error).</summary>
    public List<SyncWrite> RescheduledWrites { get; } = [];

    /// <summary>Conflicts to open.</summary>
    public List<SyncConflict> NewConflicts { get; } = [];

    /// <summary>Conflicts changed (a candidate added, or resolved).</summary>
    public List<SyncConflict> UpdatedConflicts { get; } = [];

    /// <summary>Problems to record.</summary>
    public List<SyncError> NewErrors { get; } = [];

    /// <summary>Errors closed (retried successfully or obsolete).</summary>
    public List<long> ClosedErrors { get; } = [];

    /// <summary>Open errors of records closed because the record was then accepted. Applied before <see cref="NewErrors"/> are recorded.</summary>
    public List<RecordErrors> ClosedRecordErrors { get; } = [];

    /// <summary>A change-feed cursor to keep: (entity, connection, record type, cursor).</summary>
    public (string Entity, string Connection, string RecordType, string? Cursor)? Cursor { get; set; }

    /// <summary>Whether there is nothing to write.</summary>
    public bool IsEmpty => Entities.Count + ClearedWrites.Count + Links.Count + Unlinks.Count + DeletedLinks.Count + ForgottenDeletedLinks.Count + NewWrites.Count + RemovedWrites.Count + RescheduledWrites.Count
        + NewConflicts.Count + UpdatedConflicts.Count + NewErrors.Count + ClosedErrors.Count + ClosedRecordErrors.Count == 0 && Cursor is null;
}

/// <summary>The open errors of one kind of one record, refused at <see cref="Version"/> (or <see cref="UpdatedAt"/>) or earlier.</summary>
/// <remarks>
/// Without a version and an updated-at, every open error of that kind of the record. An error of a later version than the one
/// accepted (a late notification of an older version) stays open; versions compare as numbers, otherwise updated-at.
/// </remarks>
public sealed record RecordErrors(string Entity, string Connection, string RecordType, string RecordId, string Kind)
{
    /// <summary>The numeric version of the record accepted, if it has one.</summary>
    public long? Version { get; init; }

    /// <summary>The updated-at of the record accepted, if it has one.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
}

/// <summary>A reconciliation as recorded.</summary>
public sealed record ReconciliationRecord(long Id, string Entity, bool DryRun, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string Report);

/// <summary>The durable state of two-way sync: entities, links, the write outbox, conflicts, errors and cursors.</summary>
public interface ISyncStore
{
    /// <summary>Links of records of one connection, by record id.</summary>
    Task<IReadOnlyList<LinkState>> LinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken);

    /// <summary>
    /// For comparing records with the model: the links of these records of one connection, each with its entity (null when
    /// the entity row is missing) in one read. The links carry no <see cref="LinkState.Base"/> or <see cref="LinkState.Pending"/>
    /// and the entities no <see cref="EntityState.Origins"/>: a comparison does not look at them, and not reading them halves
    /// the work. Not for planning or committing.
    /// </summary>
    Task<IReadOnlyList<(LinkState Link, EntityState? Entity)>> ComparisonAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds,
        CancellationToken cancellationToken);

    /// <summary>
    /// The kept deleted links of these records of one connection (<see cref="SyncCommit.DeletedLinks"/>), by record id: what
    /// each record was last known to hold when it was deleted, and the entity it belonged to.
    /// </summary>
    Task<IReadOnlyList<LinkState>> DeletedLinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds,
        CancellationToken cancellationToken);

    /// <summary>Every link of the given entities.</summary>
    Task<IReadOnlyList<LinkState>> LinksOfAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken);

    /// <summary>The links of the given entities to one connection's record type.</summary>
    Task<IReadOnlyList<LinkState>> LinksToAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken);

    /// <summary>Links whose record is being created (no record id yet) on one connection.</summary>
    Task<IReadOnlyList<LinkState>> CreatingLinksAsync(string entity, string connection, string recordType, CancellationToken cancellationToken);

    /// <summary>Entities by id.</summary>
    Task<IReadOnlyList<EntityState>> EntitiesAsync(string entity, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Entity ids by identity-match key.</summary>
    Task<IReadOnlyDictionary<string, string>> MatchAsync(string entity, IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>Open conflicts of the given entities.</summary>
    Task<IReadOnlyList<SyncConflict>> OpenConflictsAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken);

    /// <summary>The kept change-feed cursor.</summary>
    Task<string?> CursorAsync(string entity, string connection, string recordType, CancellationToken cancellationToken);

    /// <summary>Writes due on a connection: the oldest unfinished one per linked record, due by <paramref name="now"/>.</summary>
    Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Writes due on a connection, as <see cref="DueWritesAsync(string, DateTimeOffset, int, CancellationToken)"/>, leaving out <paramref name="except"/> (writes sent and still being recorded).</summary>
    Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, IReadOnlyCollection<long> except, CancellationToken cancellationToken);

    /// <summary>The writes queued for these entities (to one connection, when given), oldest first, whether due or not.</summary>
    Task<IReadOnlyList<SyncWrite>> QueuedWritesAsync(string entity, IReadOnlyCollection<string> entityIds, string? connection, CancellationToken cancellationToken);

    /// <summary>Open errors of writing these entities to one connection's record type (kinds <c>out</c> and <c>write</c>), newest first.</summary>
    Task<IReadOnlyList<SyncError>> OpenWriteErrorsAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken);

    /// <summary>Commits one step.</summary>
    Task CommitAsync(SyncCommit commit, CancellationToken cancellationToken);

    /// <summary>A page of entities (for the API and reconciliation), by id order after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<EntityState>> EntityPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>A page of entity ids by id order after <paramref name="afterId"/>, without reading the entities.</summary>
    Task<IReadOnlyList<string>> EntityIdPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>Entities not deleted that have no link (not even one being created) to one connection's record type, by id order after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<EntityState>> UnlinkedEntitiesAsync(string entity, string connection, string recordType, string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>Every link of one connection's record type, by entity id order after <paramref name="afterEntityId"/>.</summary>
    Task<IReadOnlyList<LinkState>> LinkPageAsync(string entity, string connection, string recordType, string? afterEntityId, int limit, CancellationToken cancellationToken);

    /// <summary>Conflicts, newest first.</summary>
    Task<IReadOnlyList<SyncConflict>> ConflictsAsync(bool openOnly, int limit, CancellationToken cancellationToken);

    /// <summary>One conflict.</summary>
    Task<SyncConflict?> ConflictAsync(long id, CancellationToken cancellationToken);

    /// <summary>Sync errors, newest first.</summary>
    Task<IReadOnlyList<SyncError>> ErrorsAsync(bool openOnly, int limit, CancellationToken cancellationToken);

    /// <summary>One sync error.</summary>
    Task<SyncError?> ErrorAsync(long id, CancellationToken cancellationToken);

    /// <summary>Counts for the status view: entities per entity type, links, pending and dead writes, open conflicts, open errors.</summary>
    Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken);

    /// <summary>Every kept cursor: (entity, connection, record type, cursor, updated at).</summary>
    Task<IReadOnlyList<(string Entity, string Connection, string RecordType, string? Cursor, DateTimeOffset UpdatedAt)>> CursorsAsync(CancellationToken cancellationToken);

    /// <summary>Records a reconciliation.</summary>
    Task<long> SaveReconciliationAsync(string entity, bool dryRun, DateTimeOffset startedAt, DateTimeOffset finishedAt, string report, CancellationToken cancellationToken);

    /// <summary>Recent reconciliations, newest first.</summary>
    Task<IReadOnlyList<ReconciliationRecord>> ReconciliationsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>One reconciliation with its report.</summary>
    Task<ReconciliationRecord?> ReconciliationAsync(long id, CancellationToken cancellationToken);
}
