using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Isthmus.Connectors;
using Isthmus.Events;
using Isthmus.Expressions;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Records;
using Isthmus.Runtime;
using Isthmus.Storage;
using Isthmus.Telemetry;
using Microsoft.Extensions.Logging;

namespace Isthmus.Sync;

/// <summary>Counts of what a batch of records did.</summary>
/// <param name="Revived">Records that brought a deleted entity back (reappeared, or matched it).</param>
public sealed record IngestSummary(int Created, int Updated, int Unchanged, int Stale, int Rejected, int Deleted, int Revived = 0)
{
    /// <summary>Records handled.</summary>
    public int Total => Created + Updated + Unchanged + Stale + Rejected + Deleted + Revived;

    /// <summary>Adds two summaries.</summary>
    public IngestSummary Add(IngestSummary other) => new(Created + other.Created, Updated + other.Updated, Unchanged + other.Unchanged,
        Stale + other.Stale, Rejected + other.Rejected, Deleted + other.Deleted, Revived + other.Revived);

    /// <summary>Nothing yet.</summary>
    public static IngestSummary Zero { get; } = new(0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Two-way sync: records read from systems (change notifications, polling, loads) are merged into the unified model
/// one entity type at a time — a lane — so concurrent changes of one entity are decided in one place and in order,
/// and the writes that follow go out through a durable outbox per connection.
/// </summary>
public sealed partial class SyncEngine : IAsyncDisposable
{
    private readonly ISyncStore _store;
    private readonly Func<ActiveConfiguration> _active;
    private readonly IsthmusMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Creates the engine; <see cref="Start"/> begins writing, polling and scheduled work.</summary>
    public SyncEngine(ISyncStore store, Func<ActiveConfiguration> active, IsthmusMetrics metrics, TimeProvider time, ILoggerFactory logs)
    {
        _store = store;
        _active = active;
        _metrics = metrics;
        _time = time;
        _logger = logs.CreateLogger("Isthmus.Sync");
        Jobs = new SyncJobs(time);
    }

    /// <summary>The store.</summary>
    public ISyncStore Store => _store;

    /// <summary>Loads, full syncs and reconciliations running or finished.</summary>
    public SyncJobs Jobs { get; }

    /// <summary>The model of the active configuration.</summary>
    public DataModel Model => _active().Config.Model;

    private ExpressionEngine Expressions => _active().Config.Expressions;

    /// <summary>Merges records of <paramref name="mapping"/> into the model and keeps <paramref name="cursor"/> with them, atomically.</summary>
    public Task<IngestSummary> IngestAsync(Mapping mapping, IReadOnlyList<SourceRecord> records, string? cursor, CancellationToken cancellationToken) =>
        IngestAsync(mapping, records, cursor, planWrites: true, cancellationToken);

    /// <param name="depth">How many referring records up the stack wait for these to be taken in.</param>
    /// <param name="chain">The records being taken in up the stack; <c>null</c> at the top, where a chain of its own starts.</param>
    /// <param name="planned">When given, collects the entities whose writes were planned (records created, updated, unchanged or revived).</param>
    /// <param name="premapped">The records mapped already (<see cref="Map"/>), by the read that fetched them.</param>
    internal async Task<IngestSummary> IngestAsync(Mapping mapping, IReadOnlyList<SourceRecord> records, string? cursor, bool planWrites, CancellationToken cancellationToken,
        int depth = 0, RefChain? chain = null, HashSet<string>? planned = null, MappedPage? premapped = null)
    {
        var definition = Model.Entity(mapping.Entity) ?? throw new InvalidOperationException($"entity '{mapping.Entity}' is no longer configured");
        var expressions = Expressions;
        var own = chain is null && depth == 0 ? new RefChain(defers: true) : null;
        chain ??= own;

        // Mapping needs no state, so it happens before the lane is taken; so does reading in the records that refs point at
        // (in their own entity's lane).
        var (mapped, now) = premapped ?? Map(mapping, records);
        await TranslateRefsAsync(mapping, records, mapped, depth < MaxRefDepth, planWrites, depth, chain, cancellationToken).ConfigureAwait(false);
        var counts = new int[8];
        await InLaneAsync(mapping.Entity, async () =>
        {
            var set = new SyncWorkingSet(definition);
            var keys = mapped.SelectMany(m => set.MatchKeys(m.Item1)).Distinct().ToList();
            await set.LoadAsync(_store, mapping, records.Select(r => r.Id).Distinct().ToList(), keys, cancellationToken).ConfigureAwait(false);
            var planner = new SyncPlanner(definition, expressions);
            for (var i = 0; i < records.Count; i++)
            {
                var outcome = planner.Ingest(set, mapping, records[i], mapped[i], now, planWrites);
                counts[(int)outcome]++;
                if (planned is not null && outcome is IngestOutcome.Created or IngestOutcome.Updated or IngestOutcome.Unchanged or IngestOutcome.Revived
                    && set.LinkOfRecord(mapping, records[i].Id) is { } link)
                {
                    planned.Add(link.EntityId);
                }
            }

            var commit = set.Seal();
            if (cursor is not null)
            {
                commit.Cursor = (mapping.Entity, mapping.Connection, mapping.RecordType, cursor);
            }

            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);

        var summary = new IngestSummary(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5] + counts[6], counts[7]);
        Count(mapping, summary);
        if (own is not null)
        {
            await TakeInDeferredAsync(own, planWrites, cancellationToken).ConfigureAwait(false);
        }

        return summary;
    }

    /// <summary>Records mapped to model values (a deleted record to none), and the time they were mapped at, which counts as the time they were read.</summary>
    internal sealed record MappedPage(List<(Dictionary<string, JsonNode?> Values, List<MappingProblem> Problems)> Values, DateTimeOffset Now);

    /// <summary>Maps records of <paramref name="mapping"/> to model values.</summary>
    private MappedPage Map(Mapping mapping, IReadOnlyList<SourceRecord> records)
    {
        var now = _time.GetUtcNow();
        var expressions = Expressions;
        return new(records.Select(r => r.Deleted ? (new Dictionary<string, JsonNode?>(), new List<MappingProblem>()) : RecordMapper.In(mapping, r.Fields, expressions, now)).ToList(), now);
    }

    /// <summary>
    /// Feeds an event to every mapping whose <c>changes:</c> it matches. Completes once the records are merged (or
    /// throws, and the event is retried), so an acknowledged notification is never lost between the event log and the model.
    /// </summary>
    public async Task<int> HandleEventAsync(StoredEvent ev, CancellationToken cancellationToken)
    {
        var handled = 0;
        foreach (var mapping in Model.Entities.SelectMany(e => e.Mappings))
        {
            if (mapping.Changes is not { } changes || changes.Connection != ev.Connection || !changes.Type.Matches(ev.Type))
            {
                continue;
            }

            var record = ReadNotification(mapping, changes, ev);
            if (record is null)
            {
                continue;
            }

            if (record.Fields.Count == 0 && !record.Deleted)
            {
                var connector = RecordConnector(mapping.Connection);
                record = await connector.GetAsync(mapping.RecordType, record.Id, cancellationToken).ConfigureAwait(false)
                    ?? record with { Deleted = true };
            }

            await IngestAsync(mapping, [record], null, cancellationToken).ConfigureAwait(false);
            handled++;
        }

        return handled;
    }

    /// <summary>Resolves a conflict with a value (or with <paramref name="source"/>'s candidate). Returns why not when it cannot.</summary>
    public async Task<SyncRefusal?> ResolveAsync(long conflictId, JsonNode? value, string? source, string by, CancellationToken cancellationToken)
    {
        var conflict = await _store.ConflictAsync(conflictId, cancellationToken).ConfigureAwait(false);
        if (conflict is null)
        {
            return SyncRefusal.NotFound($"there is no conflict {conflictId}");
        }

        if (!conflict.Open)
        {
            return SyncRefusal.Conflict($"conflict {conflictId} was already resolved by {conflict.ResolvedBy}");
        }

        if (source is not null)
        {
            var candidate = conflict.Candidates.FirstOrDefault(c => c.Source == source);
            if (candidate is null)
            {
                return SyncRefusal.Invalid($"conflict {conflictId} has no value from '{source}'; it has values from {string.Join(", ", conflict.Candidates.Select(c => c.Source))}");
            }

            value = candidate.Value;
        }

        var definition = Model.Entity(conflict.Entity);
        if (definition?.Field(conflict.Field) is not { } field)
        {
            return SyncRefusal.Conflict($"{conflict.Entity}.{conflict.Field} is no longer in the model");
        }

        if (FieldValues.Coerce(field, value).Error is { } error)
        {
            return SyncRefusal.Invalid($"{conflict.Entity}.{conflict.Field}: {error}");
        }

        SyncRefusal? failure = null;
        await InLaneAsync(conflict.Entity, async () =>
        {
            var set = new SyncWorkingSet(definition);
            await set.LoadEntitiesAsync(_store, [conflict.EntityId], cancellationToken).ConfigureAwait(false);
            if (!new SyncPlanner(definition, Expressions).Resolve(set, set.Conflict(conflict.EntityId, conflict.Field) ?? conflict, value, by, _time.GetUtcNow()))
            {
                failure = SyncRefusal.Conflict($"entity {conflict.EntityId} no longer exists");
                return;
            }

            var commit = set.Seal();
            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);
        return failure;
    }

    /// <summary>Links a record to an entity by hand (a new entity when <paramref name="entityId"/> is null), then reads the record through the policy.</summary>
    public async Task<SyncRefusal?> LinkAsync(string entity, string? entityId, string connection, string? recordType, string recordId, string by, CancellationToken cancellationToken)
    {
        var (definition, mapping, refused) = Find(entity, connection, recordType);
        if (refused is not null)
        {
            return refused;
        }

        var record = await RecordConnector(connection).GetAsync(mapping!.RecordType, recordId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return SyncRefusal.NotFound($"connection '{connection}' has no {mapping.RecordType} record '{recordId}'");
        }

        SyncRefusal? failure = null;
        var now = _time.GetUtcNow();
        var mapped = RecordMapper.In(mapping, record.Fields, Expressions, now);
        var chain = new RefChain(defers: true);
        await TranslateRefsAsync(mapping, [record], [mapped], fetch: true, planWrites: true, 0, chain, cancellationToken).ConfigureAwait(false);
        await InLaneAsync(entity, async () =>
        {
            var set = new SyncWorkingSet(definition!);
            await set.LoadAsync(_store, mapping, [recordId], [], cancellationToken).ConfigureAwait(false);
            if (entityId is not null)
            {
                await set.LoadEntitiesAsync(_store, [entityId], cancellationToken).ConfigureAwait(false);
                if (set.Entity(entityId) is not { } target)
                {
                    failure = SyncRefusal.NotFound($"there is no {entity} {entityId}");
                    return;
                }

                if (set.LinkOfRecord(mapping, recordId) is { } old)
                {
                    set.Unlink(old);
                }

                if (set.Link(entityId, mapping) is { } previous)
                {
                    set.Unlink(previous);
                }

                var link = set.AddLink(target, mapping, "manual:" + by, now);
                link.RecordId = recordId;
                set.Touch(link);
                set.ForgetDeleted(mapping, recordId); // linked by hand now: it no longer comes back to the entity it was deleted from
            }

            new SyncPlanner(definition!, Expressions).Ingest(set, mapping, record, mapped, now);
            var commit = set.Seal();
            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);
        if (failure is null)
        {
            await TakeInDeferredAsync(chain, planWrites: true, cancellationToken).ConfigureAwait(false);
        }

        return failure;
    }

    /// <summary>Removes the link of an entity to its record on one connection; returns why not when there is none.</summary>
    public async Task<SyncRefusal?> UnlinkAsync(string entity, string entityId, string connection, string? recordType, CancellationToken cancellationToken)
    {
        var (definition, mapping, refused) = Find(entity, connection, recordType);
        if (refused is not null)
        {
            return refused;
        }

        SyncRefusal? failure = null;
        await InLaneAsync(entity, async () =>
        {
            var set = new SyncWorkingSet(definition!);
            await set.LoadEntitiesAsync(_store, [entityId], cancellationToken).ConfigureAwait(false);
            if (set.Link(entityId, mapping!) is not { } link)
            {
                failure = SyncRefusal.NotFound($"{entity} {entityId} has no link to {connection}");
                return;
            }

            set.Unlink(link);
            set.Commit.ClearedWrites.Add((entity, entityId, mapping!.Connection, mapping.RecordType));
            await _store.CommitAsync(set.Seal(), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return failure;
    }

    /// <summary>
    /// Brings a deleted entity back by hand: it syncs again from now on, and every system it is written to is brought to
    /// it (its record created again where it has none). Returns why not when it cannot.
    /// </summary>
    public async Task<SyncRefusal?> ReviveAsync(string entity, string entityId, CancellationToken cancellationToken)
    {
        var definition = Model.Entity(entity);
        if (definition is null)
        {
            return UnknownEntity(entity);
        }

        SyncRefusal? failure = null;
        await InLaneAsync(entity, async () =>
        {
            var set = new SyncWorkingSet(definition);
            await set.LoadEntitiesAsync(_store, [entityId], cancellationToken).ConfigureAwait(false);
            if (set.Entity(entityId) is not { } found)
            {
                failure = SyncRefusal.NotFound($"there is no {entity} {entityId}");
                return;
            }

            if (!found.Deleted)
            {
                failure = SyncRefusal.Conflict($"{entity} {entityId} is not deleted; there is nothing to revive");
                return;
            }

            var now = _time.GetUtcNow();
            var planner = new SyncPlanner(definition, Expressions);
            planner.Revive(set, found, now);
            planner.PlanWrites(set, found, now);
            var commit = set.Seal();
            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);
        return failure;
    }

    /// <summary>The deleted entity a record belonged to when it was deleted in its system; why not when there is none.</summary>
    public async Task<(string? EntityId, SyncRefusal? Refusal)> DeletedEntityOfAsync(string entity, string connection, string? recordType, string recordId,
        CancellationToken cancellationToken)
    {
        var (_, mapping, refused) = Find(entity, connection, recordType);
        if (refused is not null)
        {
            return (null, refused);
        }

        if (await _store.DeletedLinksByRecordAsync(entity, connection, mapping!.RecordType, [recordId], cancellationToken).ConfigureAwait(false) is [var deleted, ..])
        {
            return (deleted.EntityId, null);
        }

        return (null, SyncRefusal.NotFound(
            $"there is no {entity} whose {connection} {mapping.RecordType} record '{recordId}' was deleted; give the entity's id instead (GET /api/v1/entities/{entity} lists deleted ones too)"));
    }

    /// <summary>Reads the record of a sync error again through its mapping (after the model or the record was fixed).</summary>
    public async Task<SyncRefusal?> RetryErrorAsync(long id, CancellationToken cancellationToken)
    {
        var error = await _store.ErrorAsync(id, cancellationToken).ConfigureAwait(false);
        if (error is null)
        {
            return SyncRefusal.NotFound($"there is no sync error {id}");
        }

        var (definition, mapping, refused) = Find(error.Entity, error.Connection, error.RecordType);
        if (refused is not null)
        {
            // The sync error is there; the model changed under it since (its entity or mapping removed): nothing in the request is wrong.
            return SyncRefusal.Conflict(refused.Message);
        }

        if (error.Kind == "write" && error.EntityId is { } entityId)
        {
            return await RetryWriteAsync(definition!, entityId, id, cancellationToken).ConfigureAwait(false);
        }

        // Prefer the record as it is now; fall back to the copy kept with the error.
        var record = error.RecordId is null ? null : await RecordConnector(error.Connection).GetAsync(error.RecordType, error.RecordId, cancellationToken).ConfigureAwait(false);
        record ??= error.Record is null || error.RecordId is null ? null : new SourceRecord(error.RecordId, error.Record);
        if (record is null)
        {
            return SyncRefusal.Conflict($"sync error {id} kept no record to read again");
        }

        var summary = await IngestAsync(mapping!, [record], null, cancellationToken).ConfigureAwait(false);
        if (summary.Rejected > 0)
        {
            return SyncRefusal.Conflict("the record is still refused; see the newest sync error");
        }

        // Every open error of this record is answered now, including those of earlier retries that were still refused (an `in`
        // error's are closed by the ingest already).
        var close = new SyncCommit();
        close.ClosedErrors.Add(id);
        close.ClosedRecordErrors.Add(new RecordErrors(error.Entity, error.Connection, error.RecordType, error.RecordId!, error.Kind));
        await _store.CommitAsync(close, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>A write a system refused for good: plan again what the entity still needs there (its state now, not the old payload).</summary>
    private async Task<SyncRefusal?> RetryWriteAsync(EntityDefinition definition, string entityId, long errorId, CancellationToken cancellationToken)
    {
        SyncRefusal? failure = null;
        await InLaneAsync(definition.Name, async () =>
        {
            var set = new SyncWorkingSet(definition);
            await set.LoadEntitiesAsync(_store, [entityId], cancellationToken).ConfigureAwait(false);
            if (set.Entity(entityId) is not { Deleted: false } entity)
            {
                failure = SyncRefusal.Conflict($"{definition.Name} {entityId} no longer exists");
                return;
            }

            new SyncPlanner(definition, Expressions).PlanWrites(set, entity, _time.GetUtcNow());
            set.Commit.ClosedErrors.Add(errorId);
            var commit = set.Seal();
            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);
        return failure;
    }

    private SyncRefusal UnknownEntity(string entity) => SyncRefusal.NotFound(
        $"there is no entity '{entity}' ({(Model.Entities.Count == 0 ? "none is declared" : "declared: " + string.Join(", ", Model.Entities.Select(e => e.Name)))})");

    /// <summary>The mapping of <paramref name="entity"/> to <paramref name="connection"/> (and record type, when it has several); why not when there is none.</summary>
    public (EntityDefinition? Definition, Mapping? Mapping, SyncRefusal? Refusal) Find(string entity, string connection, string? recordType)
    {
        var definition = Model.Entity(entity);
        if (definition is null)
        {
            return (null, null, UnknownEntity(entity));
        }

        var mappings = definition.Mappings.Where(m => m.Connection == connection && (recordType is null || m.RecordType == recordType)).ToList();
        return mappings.Count switch
        {
            1 => (definition, mappings[0], null),
            0 => (definition, null, SyncRefusal.Invalid(
                $"{entity} is not mapped to connection '{connection}'{(recordType is null ? "" : $" record type '{recordType}'")}; it is mapped to {string.Join(", ", definition.Mappings.Select(m => m.Connection + "/" + m.RecordType))}")),
            _ => (definition, null, SyncRefusal.Invalid($"{entity} is mapped to several record types on '{connection}'; say which: {string.Join(", ", mappings.Select(m => m.RecordType))}")),
        };
    }

    internal IRecordConnector RecordConnector(string connection) =>
        _active().Connectors.Get<IRecordConnector>(connection)
        ?? throw new InvalidOperationException($"connection '{connection}' does not hold records (its kind cannot read or write them), or is not configured");

    internal async Task InLaneAsync(string entity, Func<Task> work, CancellationToken cancellationToken)
    {
        var lane = _lanes.GetOrAdd(entity, _ => new SemaphoreSlim(1, 1));
        await lane.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            lane.Release();
        }
    }

    private SourceRecord? ReadNotification(Mapping mapping, ChangeNotifications changes, StoredEvent ev)
    {
        using var scope = Expressions.CreateScope(new ExpressionInput(EventProcessor.Envelope(ev), ev.Data, _time.GetUtcNow()));
        try
        {
            if (changes.When is { } when && !scope.Test(when))
            {
                return null;
            }

            var id = RecordMapper.Show(scope.Evaluate(changes.Id));
            if (string.IsNullOrEmpty(id))
            {
                LogNoRecordId(_logger, ev.Seq, mapping.Name);
                return null;
            }

            var fields = scope.Evaluate(changes.Record) as JsonObject ?? [];
            var version = changes.Version is null ? null : RecordMapper.Show(scope.Evaluate(changes.Version));
            var updatedAt = changes.UpdatedAt is null ? null : RecordMapper.Show(scope.Evaluate(changes.UpdatedAt));
            return new SourceRecord(id, fields, version,
                DateTimeOffset.TryParse(updatedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null,
                scope.Test(changes.Deleted));
        }
        catch (ExpressionException e)
        {
            LogNotificationUnreadable(_logger, ev.Seq, mapping.Name, e.Message);
            return null;
        }
    }

    private void Count(Mapping mapping, IngestSummary summary)
    {
        void Add(int n, string outcome)
        {
            if (n > 0)
            {
                _metrics.SyncRecords.Add(n, new("entity", mapping.Entity), new("connection", mapping.Connection), new("outcome", outcome));
            }
        }

        Add(summary.Created, "created");
        Add(summary.Updated, "updated");
        Add(summary.Unchanged, "unchanged");
        Add(summary.Stale, "stale");
        Add(summary.Rejected, "rejected");
        Add(summary.Deleted, "deleted");
        Add(summary.Revived, "revived");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopBackgroundAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Event {Seq} matched {Mapping} but carries no record id; check its changes.id")]
    private static partial void LogNoRecordId(ILogger logger, long seq, string mapping);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Event {Seq} matched {Mapping} but could not be read: {Reason}")]
    private static partial void LogNotificationUnreadable(ILogger logger, long seq, string mapping, string reason);
}
