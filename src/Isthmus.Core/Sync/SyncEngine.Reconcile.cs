using System.Text.Json.Nodes;
using Isthmus.Connectors;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Records;

namespace Isthmus.Sync;

/// <summary>One field that differs between a record and the model.</summary>
public sealed record FieldDrift(string Field, JsonNode? Record, JsonNode? Model);

/// <summary>One record found out of step with the model.</summary>
/// <param name="Kind"><c>differing</c> (fields differ), <c>missing</c> (linked, but gone from the system), <c>extra</c> (in the system, not linked).</param>
public sealed record DriftItem(string Kind, string Connection, string RecordType, string? EntityId, string? RecordId, IReadOnlyList<FieldDrift> Fields);

/// <summary>The reconciliation of one entity with one connection.</summary>
public sealed record MappingReconciliation(string Connection, string RecordType, long Checked, long Same, long Differing, long Missing, long Extra, long InFlight, long Repaired);

/// <summary>What a reconciliation found and (unless a dry run) repaired.</summary>
/// <param name="Items">The drift found, the first <see cref="SyncEngine.ReportLimit"/> per connection.</param>
public sealed record ReconciliationReport(string Entity, bool DryRun, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    IReadOnlyList<MappingReconciliation> Connections, IReadOnlyList<DriftItem> Items)
{
    /// <summary>Records out of step, over all connections.</summary>
    public long Drift => Connections.Sum(c => c.Differing + c.Missing + c.Extra);
}

public sealed partial class SyncEngine
{
    /// <summary>Most drift items kept in a report per connection; the counts are always complete.</summary>
    public const int ReportLimit = 1000;

    /// <summary>
    /// Compares every linked record of <paramref name="entity"/> in every system with the model, field by field, and
    /// (unless <paramref name="dryRun"/>) repairs the drift by the entity's policy: a record changed behind Isthmus's back
    /// is read in as the change it is; a record that missed a write is written again; a missing one is handled by the delete
    /// policy (or created again where Isthmus owns it); an unlinked one is matched or brought in.
    /// </summary>
    public async Task<ReconciliationReport> ReconcileAsync(string entity, bool dryRun, CancellationToken cancellationToken)
    {
        var definition = Model.Entity(entity) ?? throw new ArgumentException($"there is no entity '{entity}'", nameof(entity));
        var job = Jobs.Start("reconcile", entity, null);
        var started = _time.GetUtcNow();
        var results = new List<MappingReconciliation>();
        var items = new List<DriftItem>();
        try
        {
            foreach (var mapping in definition.Mappings)
            {
                results.Add(await ReconcileMappingAsync(definition, mapping, dryRun, items, job, cancellationToken).ConfigureAwait(false));
            }

            var report = new ReconciliationReport(entity, dryRun, started, _time.GetUtcNow(), results, items);
            await _store.SaveReconciliationAsync(entity, dryRun, started, report.FinishedAt,
                System.Text.Json.JsonSerializer.Serialize(report, SyncJson.Options), cancellationToken).ConfigureAwait(false);
            foreach (var r in results)
            {
                Drift(entity, r.Connection, "differing", r.Differing);
                Drift(entity, r.Connection, "missing", r.Missing);
                Drift(entity, r.Connection, "extra", r.Extra);
            }

            job.Report = report;
            job.Finish(_time.GetUtcNow());
            return report;
        }
        catch (Exception ex)
        {
            job.Finish(_time.GetUtcNow(), ex.Message);
            throw;
        }
    }

    private void Drift(string entity, string connection, string kind, long n)
    {
        if (n > 0)
        {
            _metrics.SyncDrift.Add(n, new("entity", entity), new("connection", connection), new("kind", kind));
        }
    }

    private async Task<MappingReconciliation> ReconcileMappingAsync(EntityDefinition definition, Mapping mapping, bool dryRun, List<DriftItem> items,
        SyncJob job, CancellationToken cancellationToken)
    {
        var connector = RecordConnector(mapping.Connection);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long checkedCount = 0, same = 0, differing = 0, extra = 0, inFlight = 0, repaired = 0;
        var reported = 0;
        void Report(DriftItem item)
        {
            if (reported++ < ReportLimit)
            {
                items.Add(item);
            }
        }

        // The fields of an out-only mapping inherit its direction; they are read here all the same, or drift in a target would never show.
        var readAs = mapping.Reads ? mapping : mapping with
        {
            Fields = mapping.Fields.Select(f => f.Direction == SyncDirection.Out ? f with { Direction = SyncDirection.Both } : f).ToList(),
        };

        async Task CompareAsync(List<SourceRecord> records)
        {
            var now = _time.GetUtcNow();
            var mapped = records.Select(r => RecordMapper.In(readAs, r.Fields, Expressions, now)).ToList();
            await TranslateRefsAsync(readAs, records, mapped, fetch: false, planWrites: false, MaxRefDepth, chain: null, cancellationToken).ConfigureAwait(false);
            await InLaneAsync(definition.Name, async () =>
            {
                // Comparing needs each record's link and entity only; loading every other link of every entity (as
                // planning writes does) doubled the store's work for records that, almost all, have not drifted.
                var compare = new SyncWorkingSet(definition);
                await compare.LoadForComparisonAsync(_store, mapping, records.Select(r => r.Id).ToList(), cancellationToken).ConfigureAwait(false);
                var repairs = new List<int>();
                for (var i = 0; i < records.Count; i++)
                {
                    var record = records[i];
                    seen.Add(record.Id);
                    checkedCount++;
                    var link = compare.LinkOfRecord(mapping, record.Id);
                    var entity = link is null ? null : compare.Entity(link.EntityId);
                    if (link is null && compare.DeletedLink(mapping, record.Id) is { } deleted && !SyncPlanner.IsNewer(record, deleted))
                    {
                        inFlight++; // a copy from before its delete, read before the delete was done or acknowledged; not drift
                        continue;
                    }

                    if (link is null || entity is null)
                    {
                        extra++;
                        Report(new DriftItem("extra", mapping.Connection, mapping.RecordType, null, record.Id, []));
                        if (!dryRun && mapping.Reads)
                        {
                            repairs.Add(i);
                        }

                        continue;
                    }

                    if (link.Outstanding > 0)
                    {
                        inFlight++; // a write is on its way; comparing now would report its lag as drift
                        continue;
                    }

                    var fields = Compare(compare, mapping, entity, mapped[i]);
                    if (fields.Count == 0)
                    {
                        same++;
                        continue;
                    }

                    differing++;
                    Report(new DriftItem("differing", mapping.Connection, mapping.RecordType, entity.Id, record.Id, fields));
                    if (!dryRun)
                    {
                        repairs.Add(i);
                    }
                }

                if (repairs.Count == 0)
                {
                    return;
                }

                // Repairs plan writes, which need every link of their entities: those are loaded in full.
                var set = new SyncWorkingSet(definition);
                await set.LoadAsync(_store, mapping, repairs.Select(i => records[i].Id).ToList(), [], cancellationToken).ConfigureAwait(false);
                var planner = new SyncPlanner(definition, Expressions);
                foreach (var i in repairs)
                {
                    var record = records[i];
                    var link = set.LinkOfRecord(mapping, record.Id);
                    var entity = link is null ? null : set.Entity(link.EntityId);
                    if (link is null || entity is null)
                    {
                        planner.Ingest(set, mapping, record, mapped[i], now);
                        repaired++;
                        continue;
                    }

                    if (mapping.Reads)
                    {
                        planner.Ingest(set, mapping, record, mapped[i], now, planWrites: false);
                    }
                    else
                    {
                        // Nothing is read from here: what it holds is simply out of date.
                        foreach (var (field, value) in mapped[i].Values)
                        {
                            link.Base[field] = value;
                        }

                        set.Touch(link);
                    }

                    planner.PlanWrites(set, entity, now);
                    repaired++;
                }

                var commit = set.Seal();
                await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
                Wake(commit);
            }, cancellationToken).ConfigureAwait(false);
            job.Page(new IngestSummary(0, 0, records.Count, 0, 0, 0));
        }

        var next = connector.ReadChangesAsync(mapping.RecordType, null, PageSize, cancellationToken).AsTask();
        while (true)
        {
            var page = await next.ConfigureAwait(false);

            // The next page is read while this one is compared, so the system's answer and the store's work overlap.
            next = page.More ? connector.ReadChangesAsync(mapping.RecordType, page.Cursor, PageSize, cancellationToken).AsTask() : Task.FromResult(page);
            var records = page.Records.Where(r => !r.Deleted).ToList();
            if (records.Count > 0)
            {
                try
                {
                    await CompareAsync(records).ConfigureAwait(false);
                }
                catch
                {
                    // The reconciliation ends here; the page read ahead is not wanted, and its failure must not go unobserved.
                    _ = next.ContinueWith(static r => r.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw;
                }
            }

            if (!page.More)
            {
                break;
            }
        }

        var (missing, repairedMissing) = await MissingAsync(definition, mapping, connector, seen, dryRun, Report, CompareAsync, cancellationToken).ConfigureAwait(false);
        var (unlinked, repairedUnlinked) = mapping.Writes ? await UnlinkedAsync(definition, mapping, dryRun, Report, cancellationToken).ConfigureAwait(false) : (0, 0);
        return new MappingReconciliation(mapping.Connection, mapping.RecordType, checkedCount, same, differing, missing + unlinked, extra, inFlight,
            repaired + repairedMissing + repairedUnlinked);
    }

    // A loop rather than a lambda: a closure capturing the field's name was allocated for every field of every record compared.
    private static bool HasProblem(List<MappingProblem> problems, string field)
    {
        foreach (var problem in problems)
        {
            if (problem.Field == field)
            {
                return true;
            }
        }

        return false;
    }

    /// <remarks>A field that could not be read in (a reference to a record no entity is linked to) has no model value to compare with.</remarks>
    private static List<FieldDrift> Compare(SyncWorkingSet set, Mapping mapping, EntityState entity,
        (Dictionary<string, JsonNode?> Values, List<MappingProblem> Problems) mapped)
    {
        var fields = new List<FieldDrift>();
        foreach (var field in mapping.Fields)
        {
            var name = field.Field.Name;
            if (set.Conflict(entity.Id, name) is { Open: true } || !mapped.Values.TryGetValue(name, out var value)
                || HasProblem(mapped.Problems, name))
            {
                continue;
            }

            var model = entity.Fields.GetValueOrDefault(name);
            if (!FieldValues.Same(value, model))
            {
                fields.Add(new FieldDrift(name, value?.DeepClone(), model?.DeepClone()));
            }
        }

        return fields;
    }

    /// <summary>The record by id when the system has it; <c>null</c> when it does not, or cannot look records up by id.</summary>
    private static async Task<SourceRecord?> FindAsync(IRecordConnector connector, Mapping mapping, string id, CancellationToken cancellationToken)
    {
        try
        {
            return await connector.GetAsync(mapping.RecordType, id, cancellationToken).ConfigureAwait(false) is { Deleted: false } record ? record : null;
        }
        catch (ConnectorException e) when (e.Kind == FailureKind.Rejected)
        {
            return null; // no lookup by id (a read-only feed such as attendance): the feed is all there is to go by
        }
    }

    private async Task<(long Missing, long Repaired)> MissingAsync(EntityDefinition definition, Mapping mapping, IRecordConnector connector, HashSet<string> seen,
        bool dryRun, Action<DriftItem> report, Func<List<SourceRecord>, Task> compare, CancellationToken cancellationToken)
    {
        long missing = 0, repaired = 0;
        string? after = null;
        while (true)
        {
            var links = await _store.LinkPageAsync(definition.Name, mapping.Connection, mapping.RecordType, after, PageSize, cancellationToken).ConfigureAwait(false);
            if (links.Count == 0)
            {
                return (missing, repaired);
            }

            after = links[^1].EntityId;
            var gone = new List<LinkState>();
            var found = new List<SourceRecord>();
            foreach (var link in links.Where(l => l.RecordId is not null && l.Outstanding == 0 && !seen.Contains(l.RecordId)))
            {
                // A feed can leave out a record that exists (a SQL feed holds back rows changed in its last moments, a page
                // can shift): ask for it by id before calling it missing, and compare it like the others when it is there.
                if (await FindAsync(connector, mapping, link.RecordId!, cancellationToken).ConfigureAwait(false) is { } record)
                {
                    found.Add(record);
                }
                else
                {
                    gone.Add(link);
                }
            }

            if (found.Count > 0)
            {
                await compare(found).ConfigureAwait(false);
            }

            missing += gone.Count;
            foreach (var link in gone)
            {
                report(new DriftItem("missing", mapping.Connection, mapping.RecordType, link.EntityId, link.RecordId, []));
            }

            if (dryRun || gone.Count == 0)
            {
                continue;
            }

            var now = _time.GetUtcNow();
            await InLaneAsync(definition.Name, async () =>
            {
                var set = new SyncWorkingSet(definition);
                await set.LoadEntitiesAsync(_store, gone.Select(l => l.EntityId).ToList(), cancellationToken).ConfigureAwait(false);
                var planner = new SyncPlanner(definition, Expressions);
                foreach (var link in gone)
                {
                    var recreate = !mapping.Reads || definition.Policy.Deletes == DeletePolicy.Ignore;
                    if (recreate && mapping.Writes && set.Link(link.EntityId, mapping) is { } current && set.Entity(link.EntityId) is { } entity)
                    {
                        set.Unlink(current);
                        planner.PlanWrites(set, entity, now);
                        repaired++;
                    }
                    else if (!recreate)
                    {
                        planner.Ingest(set, mapping, new SourceRecord(link.RecordId!, [], Deleted: true), ([], []), now);
                        repaired++;
                    }
                }

                var commit = set.Seal();
                await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
                Wake(commit);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Entities with no record at all in a system they are written to (say its create was refused for good, or it was
    /// unlinked): reported as missing, and created there on repair.
    /// </summary>
    private async Task<(long Missing, long Repaired)> UnlinkedAsync(EntityDefinition definition, Mapping mapping, bool dryRun, Action<DriftItem> report,
        CancellationToken cancellationToken)
    {
        long missing = 0, repaired = 0;
        string? after = null;
        while (true)
        {
            var page = await _store.UnlinkedEntitiesAsync(definition.Name, mapping.Connection, mapping.RecordType, after, PageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return (missing, repaired);
            }

            after = page[^1].Id;
            missing += page.Count;
            foreach (var entity in page)
            {
                report(new DriftItem("missing", mapping.Connection, mapping.RecordType, entity.Id, null, []));
            }

            if (dryRun)
            {
                continue;
            }

            var now = _time.GetUtcNow();
            await InLaneAsync(definition.Name, async () =>
            {
                var set = new SyncWorkingSet(definition);
                await set.LoadEntitiesAsync(_store, page.Select(e => e.Id).ToList(), cancellationToken).ConfigureAwait(false);
                var planner = new SyncPlanner(definition, Expressions);
                foreach (var id in page.Select(e => e.Id))
                {
                    // Looked at again inside the lane: a change since the page was read may have linked it already.
                    if (set.Entity(id) is { Deleted: false } entity && set.Link(id, mapping) is null)
                    {
                        planner.PlanWrites(set, entity, now);
                        repaired++;
                    }
                }

                var commit = set.Seal();
                await _store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
                Wake(commit);
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
