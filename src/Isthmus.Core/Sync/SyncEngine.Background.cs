using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Isthmus.Connectors;
using Isthmus.Deliveries;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Records;
using Isthmus.Storage;
using Microsoft.Extensions.Logging;

namespace Isthmus.Sync;

public sealed partial class SyncEngine
{
    private const int PageSize = 1000;
    // Each batch costs a read of the due writes and a commit of their acknowledgements, whatever its size; the connector
    // still splits it into calls of its own batch size.
    private const int WriteBatch = 1000;
    private readonly ConcurrentDictionary<string, (Task Loop, SemaphoreSlim Signal)> _writers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nextRun = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private Task? _scheduler;
    private volatile bool _started;

    /// <summary>Starts the writers (pending writes survive restarts) and the schedule of polls, full syncs and reconciliations.</summary>
    public void Start()
    {
        _started = true;
        foreach (var mapping in Model.Entities.SelectMany(e => e.Mappings).Where(m => m.Writes))
        {
            Writer(mapping.Connection);
        }

        _scheduler = Task.Run(() => ScheduleLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// Starts reading every record of <paramref name="connection"/> (every connection the entity reads from, when null) from the
    /// beginning. Writes are planned only once every read of the load is done, so records that already exist in several
    /// systems are first matched by identity instead of being created in each other.
    /// </summary>
    public IReadOnlyList<SyncJob> StartLoad(string entity, string? connection, string kind = "load")
    {
        var definition = Model.Entity(entity) ?? throw new ArgumentException($"there is no entity '{entity}'", nameof(entity));
        var jobs = new List<SyncJob>();
        var reads = new List<(Mapping Mapping, SyncJob Job)>();
        foreach (var mapping in definition.Mappings.Where(m => m.Reads && (connection is null || m.Connection == connection)))
        {
            if (Jobs.Running(kind, entity, mapping.Connection) is { } running)
            {
                jobs.Add(running);
                continue;
            }

            var job = Jobs.Start(kind, entity, mapping.Connection);
            reads.Add((mapping, job));
            jobs.Add(job);
        }

        if (reads.Count > 0)
        {
            var load = Task.Run(() => LoadAsync(definition, reads, _stopping.Token));
            foreach (var (_, job) in reads)
            {
                job.Completion = load;
            }
        }

        return jobs;
    }

    /// <summary>Reads a mapping's change feed from its kept cursor to the end, now (as a poll would).</summary>
    public async Task<IngestSummary> PollAsync(Mapping mapping, CancellationToken cancellationToken)
    {
        var cursor = await _store.CursorAsync(mapping.Entity, mapping.Connection, mapping.RecordType, cancellationToken).ConfigureAwait(false);
        return await ReadFeedAsync(mapping, cursor, keepCursor: true, job: null, planWrites: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Wakes the writer of every connection <paramref name="commit"/> queued writes for.</summary>
    private void Wake(SyncCommit commit)
    {
        if (!_started)
        {
            return; // before Start (and in tests that drive writes themselves) nothing sends in the background
        }

        foreach (var connection in commit.NewWrites.Select(w => w.Connection).Distinct())
        {
            var signal = Writer(connection).Signal;
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
    }

    private (Task Loop, SemaphoreSlim Signal) Writer(string connection) =>
        _writers.GetOrAdd(connection, c =>
        {
            var signal = new SemaphoreSlim(0, 1);
            return (Task.Run(() => WriteLoopAsync(c, signal, _stopping.Token)), signal);
        });

    private SyncJob StartReading(Mapping mapping, string kind, string? cursor, bool keepCursor)
    {
        var job = Jobs.Start(kind, mapping.Entity, mapping.Connection);
        job.Completion = Task.Run(async () =>
        {
            try
            {
                await ReadFeedAsync(mapping, cursor, keepCursor, job, planWrites: true, _stopping.Token).ConfigureAwait(false);
                job.Finish(_time.GetUtcNow());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(_logger, mapping.Name, ex);
                job.Finish(_time.GetUtcNow(), ex.Message);
            }
            catch (OperationCanceledException)
            {
                job.Finish(_time.GetUtcNow(), "stopped");
            }
        });
        return job;
    }

    /// <summary>Reads every mapping of a load, then brings every system to the merged entities.</summary>
    private async Task LoadAsync(EntityDefinition definition, List<(Mapping Mapping, SyncJob Job)> reads, CancellationToken cancellationToken)
    {
        var failures = new Dictionary<SyncJob, string>();
        HashSet<string>? planned = null;
        try
        {
            for (var i = 0; i < reads.Count; i++)
            {
                var (mapping, job) = reads[i];

                // Every other side is read by the time the last one is: a record of it can no longer be matched with one read
                // later, so its writes are planned as its page is merged, from the entities and links already in hand, and sent
                // while the rest is read. Not for a mapping with translated refs: the records they read in would plan writes too.
                planned = i == reads.Count - 1 && failures.Count == 0 && !mapping.Fields.Any(f => f.RefRecordType is not null)
                    ? new HashSet<string>(StringComparer.Ordinal)
                    : null;
                try
                {
                    await ReadFeedAsync(mapping, null, keepCursor: false, job, planWrites: planned is not null, cancellationToken, planned).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReadFailed(_logger, mapping.Name, ex);
                    failures[job] = ex.Message;
                }
            }

            if (failures.Count == 0)
            {
                await PlanAllWritesAsync(definition, planned, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Records the failed read left out may exist on that side: creating them there now would make duplicates. The
                // entities the last read merged before it failed had every other side read already, so their writes stand.
                var failed = string.Join(", ", failures.Keys.Select(j => j.Connection));
                var why = planned is { Count: > 0 }
                    ? $"reading {failed} failed: only the {planned.Count:N0} entities merged from it before that were written; load again once it can be read"
                    : $"nothing was written because reading {failed} failed; load again once it can be read";
                foreach (var (_, job) in reads)
                {
                    failures[job] = failures.TryGetValue(job, out var own) ? $"{own} ({why})" : why;
                }
            }
        }
        catch (OperationCanceledException)
        {
            foreach (var (_, job) in reads)
            {
                job.Finish(_time.GetUtcNow(), "stopped");
            }

            return;
        }
        catch (Exception ex)
        {
            LogReadFailed(_logger, definition.Name, ex);
            foreach (var (_, job) in reads)
            {
                failures.TryAdd(job, ex.Message);
            }
        }

        foreach (var (_, job) in reads)
        {
            job.Finish(_time.GetUtcNow(), failures.GetValueOrDefault(job));
        }
    }

    /// <summary>Plans the writes that bring every system up to every entity of <paramref name="definition"/>, a page at a time.</summary>
    /// <param name="planned">Entities whose writes were planned already in this load (their ids only are read, to leave them out).</param>
    private async Task PlanAllWritesAsync(EntityDefinition definition, HashSet<string>? planned, CancellationToken cancellationToken)
    {
        if (planned is not null)
        {
            await PlanRestAsync(definition, planned, cancellationToken).ConfigureAwait(false);
            return;
        }

        string? after = null;
        var done = false;
        while (!done)
        {
            await InLaneAsync(definition.Name, async () =>
            {
                // The page is read in the lane, so its entities are current and need not be read a second time.
                var page = await _store.EntityPageAsync(definition.Name, after, PageSize, cancellationToken).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    done = true;
                    return;
                }

                after = page[^1].Id;
                var set = new SyncWorkingSet(definition);
                await set.AdoptEntitiesAsync(_store, page, cancellationToken).ConfigureAwait(false);
                await PlanWritesAsync(set, page.Select(e => e.Id), cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Plans the writes of every entity of <paramref name="definition"/> not in <paramref name="planned"/>, reading only their ids for the others.</summary>
    private async Task PlanRestAsync(EntityDefinition definition, HashSet<string> planned, CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var ids = await _store.EntityIdPageAsync(definition.Name, after, PageSize, cancellationToken).ConfigureAwait(false);
            if (ids.Count == 0)
            {
                return;
            }

            after = ids[^1];
            var rest = ids.Where(id => !planned.Contains(id)).ToList();
            if (rest.Count == 0)
            {
                continue;
            }

            await InLaneAsync(definition.Name, async () =>
            {
                var set = new SyncWorkingSet(definition);
                await set.LoadEntitiesAsync(_store, rest, cancellationToken).ConfigureAwait(false);
                await PlanWritesAsync(set, rest, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>In the entity's lane: plans the writes of the loaded entities <paramref name="ids"/> (deleted ones have none), commits them and wakes their writers.</summary>
    private async Task PlanWritesAsync(SyncWorkingSet set, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var planner = new SyncPlanner(set.Definition, Expressions);
        var now = _time.GetUtcNow();
        foreach (var id in ids)
        {
            if (set.Entity(id) is { Deleted: false } entity)
            {
                planner.PlanWrites(set, entity, now);
            }
        }

        var commit = set.Seal();
        await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
        Wake(commit);
    }

    /// <param name="planned">When given, collects the entities whose writes were planned as their records were merged.</param>
    private async Task<IngestSummary> ReadFeedAsync(Mapping mapping, string? cursor, bool keepCursor, SyncJob? job, bool planWrites, CancellationToken cancellationToken,
        HashSet<string>? planned = null)
    {
        var connector = RecordConnector(mapping.Connection);
        var total = IngestSummary.Zero;

        // A page is read and mapped (mapping needs no state) on its own while the one before is merged in the lane, so the
        // system's answer, the mapping and the store's work overlap.
        Task<(RecordPage Page, MappedPage Mapped)> ReadAsync(string? from) => Task.Run(async () =>
        {
            var page = await connector.ReadChangesAsync(mapping.RecordType, from, PageSize, cancellationToken).ConfigureAwait(false);
            return (page, Map(mapping, page.Records));
        }, cancellationToken);

        var next = ReadAsync(cursor);
        while (true)
        {
            var (page, mapped) = await next.ConfigureAwait(false);
            if (page.Records.Count == 0 && (page.Cursor is null || page.Cursor == cursor))
            {
                return total;
            }

            next = page.More ? ReadAsync(page.Cursor) : Task.FromResult((page, mapped));
            IngestSummary summary;
            try
            {
                summary = await IngestAsync(mapping, page.Records, keepCursor ? page.Cursor : null, planWrites, cancellationToken, planned: planned, premapped: mapped)
                    .ConfigureAwait(false);
            }
            catch
            {
                // The read ends here; the page read ahead is not wanted, and its failure must not go unobserved.
                _ = next.ContinueWith(static r => r.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw;
            }

            job?.Page(summary);
            total = total.Add(summary);
            cursor = page.Cursor;
            if (!page.More)
            {
                return total;
            }
        }
    }

    private async Task ScheduleLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = _time.GetUtcNow();
            foreach (var entity in Model.Entities)
            {
                foreach (var mapping in entity.Mappings.Where(m => m.Reads))
                {
                    if (mapping.Poll is { } every)
                    {
                        Due("poll:" + mapping.Name, now, _ => now + every, () => PollAsync(mapping, cancellationToken));
                    }

                    if (mapping.FullSync is { } cron)
                    {
                        Due("full:" + mapping.Name, now, after => cron.GetNextOccurrence(after, entity.Policy.TimeZone),
                            () => Jobs.Running("full", mapping.Entity, mapping.Connection) is null ? StartReading(mapping, "full", null, false).Completion : Task.CompletedTask);
                    }
                }

                if (entity.Policy.Reconcile is { } reconcile)
                {
                    Due("reconcile:" + entity.Name, now, after => reconcile.GetNextOccurrence(after, entity.Policy.TimeZone),
                        () => ReconcileAsync(entity.Name, dryRun: false, cancellationToken));
                }
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> when its time has come and the previous run of it has ended.</summary>
    private void Due(string name, DateTimeOffset now, Func<DateTimeOffset, DateTimeOffset?> next, Func<Task> work)
    {
        if (!_nextRun.TryGetValue(name, out var at))
        {
            // A poll starts at once (catching up after a restart); a cron waits for its first time.
            at = name.StartsWith("poll:", StringComparison.Ordinal) ? now : next(now) ?? DateTimeOffset.MaxValue;
            _nextRun[name] = at;
        }

        if (now < at || (_running.TryGetValue(name, out var previous) && !previous.IsCompleted))
        {
            return;
        }

        _nextRun[name] = next(now) ?? DateTimeOffset.MaxValue;
        _running[name] = Task.Run(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogScheduledFailed(_logger, name, ex);
            }
        });
    }

    private async Task WriteLoopAsync(string connection, SemaphoreSlim signal, CancellationToken cancellationToken)
    {
        var writer = new WriterState();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!await WriteOnceAsync(connection, writer, cancellationToken).ConfigureAwait(false))
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A store or configuration failure: the writes stay queued; try again shortly.
                LogWriteLoopFailed(_logger, connection, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }

        // Stopping: let the recording under way end (its writes stay queued if it cannot), so it does not outlive the loop.
        try
        {
            await writer.Recording.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            // Stopped: whatever was not recorded is sent again at the next start, with the same idempotency keys.
        }
    }

    /// <summary>
    /// A writer between two passes. A batch's outcomes are recorded while the next batch is sent, so the system's work and
    /// the store's overlap. The batch being recorded is still in the outbox and is left out of the next one; a later write of
    /// one of its records is not due before it is gone (only the oldest write of a record is), so each record still gets its
    /// writes in order. Its acknowledgements are known before they are recorded: a write of the next batch referring to a
    /// record it created is translated with them, rather than waiting for the recording.
    /// </summary>
    private sealed class WriterState
    {
        public Task Recording { get; set; } = Task.CompletedTask;

        public HashSet<long> RecordingIds { get; set; } = [];

        public Dictionary<RefTarget, string> Acknowledged { get; set; } = [];

        public async Task FinishRecordingAsync()
        {
            var previous = Recording;
            Recording = Task.CompletedTask;
            RecordingIds = [];
            Acknowledged = [];
            await previous.ConfigureAwait(false);
        }
    }

    /// <summary>One pass of a connection's writer: sends the writes due, or ends the recording under way. Returns false when there was nothing to do.</summary>
    private async Task<bool> WriteOnceAsync(string connection, WriterState writer, CancellationToken cancellationToken)
    {
        var due = await _store.DueWritesAsync(connection, _time.GetUtcNow(), WriteBatch, writer.RecordingIds, cancellationToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            if (writer.RecordingIds.Count == 0)
            {
                return false;
            }

            await writer.FinishRecordingAsync().ConfigureAwait(false);
            return true;
        }

        var sent = await TransmitAsync(connection, due, writer.Acknowledged, cancellationToken).ConfigureAwait(false);
        await writer.FinishRecordingAsync().ConfigureAwait(false);
        writer.RecordingIds = [.. due.Select(w => w.Id)];
        writer.Acknowledged = Acknowledged(sent);
        writer.Recording = RecordAsync(sent, cancellationToken);
        return true;
    }

    /// <summary>A writer's passes, for tests that drive them one at a time (as the background writer would, batch after batch).</summary>
    internal Func<Task<bool>> WriterForTests(string connection)
    {
        var writer = new WriterState();
        return () => WriteOnceAsync(connection, writer, CancellationToken.None);
    }

    /// <summary>Sends due writes now, for tests that drive the engine step by step without its background writers.</summary>
    internal Task SendForTestsAsync(string connection, IReadOnlyList<SyncWrite> due, CancellationToken cancellationToken) => SendAsync(connection, due, cancellationToken);

    private async Task SendAsync(string connection, IReadOnlyList<SyncWrite> due, CancellationToken cancellationToken) =>
        await RecordAsync(await TransmitAsync(connection, due, new Dictionary<RefTarget, string>(), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Writes of one entity and record type sent together, with what became of each (to be recorded).</summary>
    private sealed record SentGroup(string Entity, List<SyncWrite> Writes, (SourceRecord? Stored, Exception? Error)[] Outcomes, IRecordConnector Connector);

    /// <summary>Records what became of writes sent, a group (entity, record type) at a time.</summary>
    private async Task RecordAsync(List<SentGroup> sent, CancellationToken cancellationToken)
    {
        foreach (var group in sent)
        {
            await RecordOutcomesAsync(group.Entity, group.Writes, group.Outcomes, group.Connector, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends due writes; returns each group's outcomes, to be recorded. Writes referring to a record another write of the
    /// batch creates are sent after it, in a wave of their own, and translated with its acknowledged id.
    /// </summary>
    /// <param name="acknowledged">Record ids acknowledged in the previous batch and not recorded yet.</param>
    private async Task<List<SentGroup>> TransmitAsync(string connection, IReadOnlyList<SyncWrite> due, IReadOnlyDictionary<RefTarget, string> acknowledged,
        CancellationToken cancellationToken)
    {
        var connector = RecordConnector(connection);
        var refs = new RefLookup(this, connection, acknowledged);
        var sent = new List<SentGroup>();
        var remaining = due.ToList();
        while (remaining.Count > 0)
        {
            var wave = await NextWaveAsync(remaining, refs, cancellationToken).ConfigureAwait(false);
            foreach (var group in wave.GroupBy(w => (w.Entity, w.RecordType)))
            {
                var (writes, outcomes) = await SendGroupAsync(connector, connection, group.Key.Entity, group.Key.RecordType, group.ToList(), refs, cancellationToken).ConfigureAwait(false);
                var done = new SentGroup(group.Key.Entity, writes, outcomes, connector);
                sent.Add(done);
                foreach (var (target, recordId) in Acknowledged([done]))
                {
                    refs.Learn(target, recordId);
                }

                for (var i = 0; i < writes.Count; i++)
                {
                    if (outcomes[i].Error is { } error and not RefWaitException)
                    {
                        refs.Failed(new RefTarget(writes[i].Entity, writes[i].RecordType, writes[i].EntityId), error.Message);
                    }
                }
            }

            var gone = wave.Select(w => w.Id).ToHashSet();
            remaining.RemoveAll(w => gone.Contains(w.Id));
        }

        return sent;
    }

    /// <summary>Sends one group's writes (refs translated, or the write waiting); returns the writes as sent with their outcomes.</summary>
    private async Task<(List<SyncWrite> Writes, (SourceRecord? Stored, Exception? Error)[] Outcomes)> SendGroupAsync(IRecordConnector connector, string connection,
        string entity, string recordType, List<SyncWrite> writes, RefLookup refs, CancellationToken cancellationToken)
    {
        var outcomes = new (SourceRecord? Stored, Exception? Error)[writes.Count];
        var sending = await TranslateRefsOutAsync(connection, entity, recordType, writes, outcomes, refs, cancellationToken).ConfigureAwait(false);
        var upserts = sending.Select((w, i) => (w, i)).Where(x => x.w.Operation == WriteOperation.Upsert && outcomes[x.i].Error is null).ToList();
        if (upserts.Count > 0)
        {
            try
            {
                // Write ids are unique only within this store; the entity id (random) keeps the key apart from the keys of
                // another Isthmus, or of this one before its database was replaced, that the system may still remember.
                var results = await connector.WriteBatchAsync(recordType,
                    upserts.Select(x => new RecordWrite(x.w.RecordId, x.w.Payload, MappingIfMatch(x.w) ? x.w.ExpectedVersion : null, $"isthmus-sync-{x.w.EntityId}-{x.w.Id}")).ToList(),
                    cancellationToken).ConfigureAwait(false);
                for (var j = 0; j < upserts.Count; j++)
                {
                    outcomes[upserts[j].i] = (results[j].Record, results[j].Error);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                foreach (var (_, i) in upserts)
                {
                    outcomes[i] = (null, ex);
                }
            }
        }

        for (var i = 0; i < sending.Count; i++)
        {
            if (sending[i].Operation != WriteOperation.Delete)
            {
                continue;
            }

            try
            {
                await connector.DeleteAsync(recordType, sending[i].RecordId!, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcomes[i] = (null, ex);
            }
        }

        return (sending, outcomes);
    }

    private static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (name, value) in from.ToList())
        {
            if (value is JsonObject inner && into[name] is JsonObject existing)
            {
                Merge(existing, inner);
            }
            else
            {
                into[name] = value?.DeepClone();
            }
        }
    }

    /// <summary>
    /// Applies the delete policy to a record found missing. Under <c>ignore</c> the entity stays and loses its link there,
    /// so its next write creates the record again rather than updating one that no longer exists.
    /// </summary>
    private static void RecordGone(SyncPlanner planner, SyncWorkingSet set, Mapping mapping, string recordId, DateTimeOffset now)
    {
        var gone = new SourceRecord(recordId, [], Deleted: true);
        if (planner.Ingest(set, mapping, gone, ([], []), now, planWrites: false) == IngestOutcome.Ignored && set.LinkOfRecord(mapping, recordId) is { } stale)
        {
            set.Unlink(stale);
        }
    }

    private bool MappingIfMatch(SyncWrite write) =>
        Model.Entity(write.Entity)?.Mapping(write.Connection, write.RecordType)?.IfMatch ?? false;

    private async Task RecordOutcomesAsync(string entity, IReadOnlyList<SyncWrite> writes, (SourceRecord? Stored, Exception? Error)[] outcomes,
        IRecordConnector connector, CancellationToken cancellationToken)
    {
        var definition = Model.Entity(entity);
        if (definition is null)
        {
            return;
        }

        var settings = _active().Config.Deliveries;
        var now = _time.GetUtcNow();

        // A stale version: read the record as it is now, outside the lane, and merge it in before planning again.
        var current = new Dictionary<long, SourceRecord?>();
        for (var i = 0; i < writes.Count; i++)
        {
            if (outcomes[i].Error is RecordConflictException conflict && writes[i].RecordId is { } id)
            {
                current[writes[i].Id] = conflict.Current ?? await connector.GetAsync(writes[i].RecordType, id, cancellationToken).ConfigureAwait(false);
            }
        }

        var currentMapped = new Dictionary<long, (Dictionary<string, JsonNode?>, List<MappingProblem>)>();
        foreach (var write in writes.Where(w => current.GetValueOrDefault(w.Id) is not null))
        {
            var mapping = definition.Mapping(write.Connection, write.RecordType)!;
            var mapped = RecordMapper.In(mapping, current[write.Id]!.Fields, Expressions, now);
            await TranslateRefsAsync(mapping, [current[write.Id]!], [mapped], fetch: true, planWrites: true, 0, chain: null, cancellationToken).ConfigureAwait(false);
            currentMapped[write.Id] = mapped;
        }

        await InLaneAsync(entity, async () =>
        {
            var set = new SyncWorkingSet(definition);
            var ids = writes.Select(w => w.EntityId).Distinct().ToList();
            if (outcomes.Any(o => o.Error is RecordConflictException) || writes.Any(w => w.LeftOut is not null))
            {
                // A conflict merges the record and plans again; a write sent without some refs plans the write that carries them.
                await set.LoadEntitiesAsync(_store, ids, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Acknowledging, retrying or giving up touches only the links written through: reading the entities and
                // their other links for that was most of an acknowledgement's cost.
                await set.LoadLinksAsync(_store, writes[0].Connection, writes[0].RecordType, ids, cancellationToken).ConfigureAwait(false);
            }

            var planner = new SyncPlanner(definition, Expressions);
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                var (stored, error) = outcomes[i];
                var outcome = error switch
                {
                    null => "ok",
                    RefWaitException => "waiting",
                    RefUnresolvedException => "unresolved",
                    RecordConflictException => "conflict",
                    ConnectorException { Kind: FailureKind.Rejected or FailureKind.Unauthorized } => "rejected",
                    _ when write.Attempts + 1 >= settings.MaxAttempts => "exhausted",
                    _ => "retry",
                };
                _metrics.SyncWrites.Add(1, new("connection", write.Connection), new("outcome", outcome));
                switch (outcome)
                {
                    case "ok":
                        planner.Acknowledge(set, write, stored, now);
                        if (write.LeftOut is not null && set.Entity(write.EntityId) is { } referring)
                        {
                            planner.PlanWrites(set, referring, now);
                        }

                        break;
                    case "waiting":
                        // Not an attempt: nothing was sent, and nothing is wrong with the write.
                        set.Commit.RescheduledWrites.Add(write with { NextAt = ((RefWaitException)error!).Until, LastError = error.Message });
                        break;
                    case "unresolved":
                        planner.Abandon(set, write, staleVersion: false, ((RefUnresolvedException)error!).Problems, now);
                        break;
                    case "conflict":
                        planner.Abandon(set, write, staleVersion: true, null, now);
                        var mapping = definition.Mapping(write.Connection, write.RecordType)!;
                        if (current.GetValueOrDefault(write.Id) is { } record)
                        {
                            planner.Ingest(set, mapping, record, currentMapped[write.Id], now, planWrites: false);
                        }
                        else if (current.ContainsKey(write.Id) && write.Operation != WriteOperation.Delete)
                        {
                            // The record is gone: a delete nobody told us about. Take it as one, or the same write would be refused forever.
                            RecordGone(planner, set, mapping, write.RecordId!, now);
                        }

                        if (set.Entity(write.EntityId) is { } e)
                        {
                            planner.PlanWrites(set, e, now);
                        }

                        break;
                    case "retry":
                        var retryAfter = (error as ConnectorException)?.RetryAfter;
                        var delay = Backoff.Delay(write.Attempts + 1, settings.BaseDelay, settings.MaxDelay, retryAfter, Random.Shared.NextDouble());
                        set.Commit.RescheduledWrites.Add(write with { Attempts = write.Attempts + 1, NextAt = now + delay, LastError = error!.Message });
                        break;
                    default:
                        planner.Abandon(set, write, staleVersion: false,
                            [new MappingProblem("*", null, "write", $"{write.Connection} refused the write ({outcome} after {write.Attempts + 1} attempt(s)): {error!.Message}")], now);
                        break;
                }
            }

            var commit = set.Seal();
            await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Wake(commit);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task StopBackgroundAsync()
    {
        var tasks = _writers.Values.Select(w => w.Loop).Concat(_running.Values);
        if (_scheduler is not null)
        {
            tasks = tasks.Append(_scheduler);
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // Stopping: whatever was in flight is still queued in the store and resumes at the next start.
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Reading {Mapping} failed")]
    private static partial void LogReadFailed(ILogger logger, string mapping, Exception exception);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Error, Message = "Scheduled {Work} failed")]
    private static partial void LogScheduledFailed(ILogger logger, string work, Exception exception);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Writing to {Connection} failed; the writes stay queued and are tried again")]
    private static partial void LogWriteLoopFailed(ILogger logger, string connection, Exception exception);
}
