using Isthmus.Model;
using Isthmus.Storage;
using Isthmus.Sync;

namespace Isthmus.Api;

/// <summary>How the sync API shows the model and the sync state: the words of the configuration, camelCase, no internals.</summary>
internal static class SyncViews
{
    private static readonly Dictionary<Normalizer, string> NormalizerNames = Normalizers.ByName.ToDictionary(p => p.Value, p => p.Key);

    public static object Definition(EntityDefinition e) => new
    {
        name = e.Name,
        label = e.Label.ByLanguage,
        description = e.Description.ByLanguage,
        fields = e.Fields.Select(f => new
        {
            name = f.Name,
            type = Kind(f.Kind),
            required = f.Required,
            values = f.Values.Count > 0 ? f.Values : null,
            @ref = f.RefEntity,
            item = f.Item is { } item ? Kind(item) : null,
            normalize = f.Normalize.Select(n => NormalizerNames[n]),
            label = f.Label.ByLanguage,
            description = f.Description.ByLanguage,
            wins = e.Policy.For(f.Name).ToString(),
        }),
        rules = e.Rules.Select(r => new { name = r.Name, check = r.Check.Source, message = r.Message, field = r.Field }),
        match = e.Match,
        sync = new { wins = e.Policy.Default.ToString(), deletes = Lower(e.Policy.Deletes), reconcile = e.Policy.Reconcile?.ToString() },
        mappings = e.Mappings.Select(m => new
        {
            connection = m.Connection,
            records = m.RecordType,
            direction = Lower(m.Direction),
            poll = m.Poll?.ToString(),
            fullSync = m.FullSync?.ToString(),
            ifMatch = m.IfMatch,
            changes = m.Changes?.Connection,
            fields = m.Fields.Select(f => new { field = f.Field.Name, path = f.PathText, direction = Lower(f.Direction), codes = f.Codes?.Name, @in = f.In?.Source, @out = f.Out?.Source }),
            location = m.Location.ToString(),
        }),
    };

    public static object Entity(EntityState e, IEnumerable<LinkState> links, IReadOnlyList<SyncWrite>? writes = null) => new
    {
        id = e.Id,
        fields = e.Fields,
        origins = e.Origins.ToDictionary(o => o.Key, o => new { source = o.Value.Source, at = o.Value.At }),
        deleted = e.Deleted,
        version = e.Version,
        updatedAt = e.UpdatedAt,
        links = links.Select(l => Link(l, writes)),
    };

    /// <summary>A link; with <paramref name="writes"/> (the entity's queued writes), those to its record, oldest first, and the first one's last error.</summary>
    public static object Link(LinkState l) => Link(l, null);

    public static object Link(LinkState l, IReadOnlyList<SyncWrite>? writes)
    {
        var queued = writes?.Where(w => w.Connection == l.Connection && w.RecordType == l.RecordType).ToList();
        return new
        {
            entity = l.Entity,
            entityId = l.EntityId,
            connection = l.Connection,
            recordType = l.RecordType,
            recordId = l.RecordId,
            recordVersion = l.RecordVersion,
            recordUpdatedAt = l.RecordUpdatedAt,
            source = l.Source,
            linkedAt = l.LinkedAt,
            syncedAt = l.SyncedAt,
            pendingWrites = l.Outstanding,
            @base = l.Base,
            lastError = queued?.FirstOrDefault()?.LastError,
            writes = queued?.Select(w => new { id = w.Id, operation = Lower(w.Operation), attempts = w.Attempts, nextAt = w.NextAt, lastError = w.LastError }),
        };
    }

    public static object Conflict(SyncConflict c) => new
    {
        id = c.Id,
        entity = c.Entity,
        entityId = c.EntityId,
        field = c.Field,
        candidates = c.Candidates.Select(x => new { source = x.Source, value = x.Value, at = x.At }),
        createdAt = c.CreatedAt,
        open = c.Open,
        resolution = c.Resolution,
        resolvedBy = c.ResolvedBy,
        resolvedAt = c.ResolvedAt,
    };

    public static object Error(SyncError e) => new
    {
        id = e.Id,
        entity = e.Entity,
        connection = e.Connection,
        recordType = e.RecordType,
        recordId = e.RecordId,
        entityId = e.EntityId,
        kind = e.Kind,
        problems = e.Problems.Select(p => new { field = p.Field, value = p.Value, rule = p.Rule, message = p.Message }),
        record = e.Record,
        createdAt = e.CreatedAt,
        open = e.Open,
    };

    public static object Job(SyncJob j) => new
    {
        id = j.Id,
        kind = j.Kind,
        entity = j.Entity,
        connection = j.Connection,
        status = j.Status,
        startedAt = j.StartedAt,
        finishedAt = j.FinishedAt,
        read = j.Read,
        pages = j.Pages,
        summary = j.Summary,
        error = j.Error,
    };

    public static object Reconciliation(ReconciliationRecord r, bool withReport)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(r.Report);
        var report = doc.RootElement.Clone();
        return new
        {
            id = r.Id,
            entity = r.Entity,
            dryRun = r.DryRun,
            startedAt = r.StartedAt,
            finishedAt = r.FinishedAt,
            connections = report.TryGetProperty("connections", out var c) ? c : default,
            items = withReport && report.TryGetProperty("items", out var i) ? i : (System.Text.Json.JsonElement?)null,
        };
    }

    private static string Kind(FieldKind kind) => kind.ToString().ToLowerInvariant();

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
