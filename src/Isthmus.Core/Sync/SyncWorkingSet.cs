using System.Text.Json.Nodes;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Storage;

namespace Isthmus.Sync;

/// <summary>
/// The entities, links and conflicts one sync step may touch, loaded up front in a few queries and committed
/// together afterwards. Only the entity's lane uses it, so it needs no locks.
/// </summary>
internal sealed class SyncWorkingSet(EntityDefinition definition)
{
    private readonly Dictionary<string, EntityState> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string, string), LinkState> _links = new();
    private readonly Dictionary<(string, string, string), LinkState> _byRecord = new();
    private readonly Dictionary<string, string> _matches = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), List<LinkState>> _creating = new();
    private readonly Dictionary<(string, string), SyncConflict> _conflicts = new();
    private readonly HashSet<string> _dirtyEntities = new(StringComparer.Ordinal);
    private readonly HashSet<LinkState> _dirtyLinks = [];
    private readonly List<LinkState> _unlinks = [];
    private readonly HashSet<(string, string)> _dirtyConflicts = [];
    private readonly Dictionary<(string, string, string), LinkState> _deleted = new();
    private readonly Dictionary<(string, string, string), LinkState?> _deletedChanges = new(); // null: forgotten

    public EntityDefinition Definition { get; } = definition;

    public SyncCommit Commit { get; } = new();

    /// <summary>Loads what records of <paramref name="mapping"/> with these ids and identity keys can touch.</summary>
    public async Task LoadAsync(ISyncStore store, Mapping mapping, IReadOnlyCollection<string> recordIds, IReadOnlyCollection<string> matchKeys,
        CancellationToken cancellationToken)
    {
        var entityIds = new HashSet<string>(StringComparer.Ordinal);
        if (recordIds.Count > 0)
        {
            var linked = new HashSet<string>(StringComparer.Ordinal);
            foreach (var link in await store.LinksByRecordAsync(Definition.Name, mapping.Connection, mapping.RecordType, recordIds, cancellationToken).ConfigureAwait(false))
            {
                entityIds.Add(link.EntityId);
                linked.Add(link.RecordId!);
            }

            // A record with no link may be one deleted before, coming back: it revives its entity.
            foreach (var deleted in await LoadDeletedAsync(store, mapping, recordIds, linked, cancellationToken).ConfigureAwait(false))
            {
                entityIds.Add(deleted.EntityId);
            }
        }

        if (matchKeys.Count > 0)
        {
            foreach (var (key, id) in await store.MatchAsync(Definition.Name, matchKeys, cancellationToken).ConfigureAwait(false))
            {
                _matches[key] = id;
                entityIds.Add(id);
            }
        }

        var creating = await store.CreatingLinksAsync(Definition.Name, mapping.Connection, mapping.RecordType, cancellationToken).ConfigureAwait(false);
        entityIds.UnionWith(creating.Select(l => l.EntityId));
        await LoadEntitiesAsync(store, entityIds, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the links of these records of <paramref name="mapping"/>, with their entities and open conflicts but not the
    /// entities' other links, nor the links' known values or the entities' origins: enough to compare the records with the
    /// model, not to plan writes or commit.
    /// </summary>
    public async Task LoadForComparisonAsync(ISyncStore store, Mapping mapping, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        // One read of each link with its entity's fields, without what a comparison never looks at (see ISyncStore.ComparisonAsync).
        var rows = await store.ComparisonAsync(Definition.Name, mapping.Connection, mapping.RecordType, recordIds, cancellationToken).ConfigureAwait(false);
        foreach (var (link, entity) in rows)
        {
            Track(link);
            if (entity is not null)
            {
                _entities[entity.Id] = entity;
            }
        }

        // A record with no link may be one deleted since the feed was read (or coming back): the comparison tells them apart.
        await LoadDeletedAsync(store, mapping, recordIds, rows.Select(r => r.Link.RecordId!).ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);

        var ids = rows.Select(r => r.Link.EntityId).Distinct().ToList();
        if (ids.Count == 0)
        {
            return;
        }

        foreach (var conflict in await store.OpenConflictsAsync(Definition.Name, ids, cancellationToken).ConfigureAwait(false))
        {
            _conflicts[(conflict.EntityId, conflict.Field)] = conflict;
        }
    }

    /// <summary>Loads entities with all their links and open conflicts.</summary>
    public async Task LoadEntitiesAsync(ISyncStore store, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var missing = ids.Where(id => !_entities.ContainsKey(id)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        foreach (var entity in await store.EntitiesAsync(Definition.Name, missing, cancellationToken).ConfigureAwait(false))
        {
            _entities[entity.Id] = entity;
        }

        await LoadLinksAndConflictsAsync(store, missing, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads only the links of these entities to one connection's record type: enough to record how writes to it ended
    /// (acknowledged, retried or given up), not to plan writes, which need the entities and all their links.
    /// </summary>
    public async Task LoadLinksAsync(ISyncStore store, string connection, string recordType, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken)
    {
        foreach (var link in await store.LinksToAsync(Definition.Name, connection, recordType, entityIds, cancellationToken).ConfigureAwait(false))
        {
            Track(link);
        }
    }

    /// <summary>Takes entities just read from the store (in the lane) and loads all their links and open conflicts, so they are not read twice.</summary>
    public async Task AdoptEntitiesAsync(ISyncStore store, IReadOnlyList<EntityState> entities, CancellationToken cancellationToken)
    {
        var ids = new List<string>(entities.Count);
        foreach (var entity in entities)
        {
            if (_entities.TryAdd(entity.Id, entity))
            {
                ids.Add(entity.Id);
            }
        }

        if (ids.Count > 0)
        {
            await LoadLinksAndConflictsAsync(store, ids, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LoadLinksAndConflictsAsync(ISyncStore store, List<string> missing, CancellationToken cancellationToken)
    {
        foreach (var link in await store.LinksOfAsync(Definition.Name, missing, cancellationToken).ConfigureAwait(false))
        {
            Track(link);
        }

        foreach (var conflict in await store.OpenConflictsAsync(Definition.Name, missing, cancellationToken).ConfigureAwait(false))
        {
            _conflicts[(conflict.EntityId, conflict.Field)] = conflict;
        }
    }

    public EntityState? Entity(string id) => _entities.GetValueOrDefault(id);

    public EntityState NewEntity(DateTimeOffset now)
    {
        var entity = new EntityState(Definition.Name, Guid.CreateVersion7(now).ToString("N")) { UpdatedAt = now };
        _entities[entity.Id] = entity;
        _dirtyEntities.Add(entity.Id);
        return entity;
    }

    public void Touch(EntityState entity) => _dirtyEntities.Add(entity.Id);

    /// <summary>Forgets an entity made in this working set whose record was refused: nothing of it is stored.</summary>
    public void Discard(EntityState entity)
    {
        _entities.Remove(entity.Id);
        _dirtyEntities.Remove(entity.Id);
    }

    public LinkState? Link(string entityId, Mapping mapping) => _links.GetValueOrDefault((entityId, mapping.Connection, mapping.RecordType));

    public LinkState? LinkOfRecord(Mapping mapping, string recordId) => _byRecord.GetValueOrDefault((mapping.Connection, mapping.RecordType, recordId));

    public IEnumerable<LinkState> Creating(Mapping mapping)
    {
        if (!_creating.TryGetValue((mapping.Connection, mapping.RecordType), out var list))
        {
            return [];
        }

        // A link added for a new record is tracked before it learns its record id: dropping those as they go keeps a page of
        // new records from walking every earlier one of the page.
        list.RemoveAll(l => l.RecordId is not null);
        return list;
    }

    public string? Match(string key) => _matches.GetValueOrDefault(key);

    public LinkState AddLink(EntityState entity, Mapping mapping, string source, DateTimeOffset now)
    {
        var link = new LinkState(Definition.Name, entity.Id, mapping.Connection, mapping.RecordType) { Source = source, LinkedAt = now, SyncedAt = now };
        Track(link);
        Touch(link);
        return link;
    }

    /// <summary>Records a link change; keeps the by-record index current when its record id was just learned.</summary>
    public void Touch(LinkState link)
    {
        if (link.RecordId is { } recordId)
        {
            _byRecord[(link.Connection, link.RecordType, recordId)] = link;
        }

        _dirtyLinks.Add(link);
    }

    public void Unlink(LinkState link)
    {
        _links.Remove((link.EntityId, link.Connection, link.RecordType));
        if (link.RecordId is { } recordId)
        {
            _byRecord.Remove((link.Connection, link.RecordType, recordId));
        }

        _dirtyLinks.Remove(link);
        _unlinks.Add(link);
    }

    /// <summary>Loads the kept deleted links of those of <paramref name="recordIds"/> that are not <paramref name="linked"/>, and returns them.</summary>
    private async Task<IReadOnlyList<LinkState>> LoadDeletedAsync(ISyncStore store, Mapping mapping, IReadOnlyCollection<string> recordIds, HashSet<string> linked,
        CancellationToken cancellationToken)
    {
        var unlinked = recordIds.Where(id => !linked.Contains(id)).ToList();
        if (unlinked.Count == 0)
        {
            return [];
        }

        var deletedLinks = await store.DeletedLinksByRecordAsync(Definition.Name, mapping.Connection, mapping.RecordType, unlinked, cancellationToken).ConfigureAwait(false);
        foreach (var deleted in deletedLinks)
        {
            _deleted[(deleted.Connection, deleted.RecordType, deleted.RecordId!)] = deleted;
        }

        return deletedLinks;
    }

    /// <summary>
    /// The kept deleted link of a record (loaded by <see cref="LoadAsync"/> and <see cref="LoadForComparisonAsync"/>): the
    /// record was deleted, and this is what it last held.
    /// </summary>
    public LinkState? DeletedLink(Mapping mapping, string recordId) => _deleted.GetValueOrDefault((mapping.Connection, mapping.RecordType, recordId));

    /// <summary>Keeps a link just removed because its record was deleted (as of <paramref name="now"/>), so that the record coming back revives its entity.</summary>
    public void KeepDeleted(LinkState link, DateTimeOffset now)
    {
        if (link.RecordId is not { } recordId)
        {
            return; // never created: nothing can come back
        }

        link.Pending.Clear();
        link.PendingOrigins.Clear();
        link.Outstanding = 0;
        link.SyncedAt = now;
        _deleted[(link.Connection, link.RecordType, recordId)] = link;
        _deletedChanges[(link.Connection, link.RecordType, recordId)] = link;
    }

    /// <summary>Forgets a record's kept deleted link (it came back, or was linked again).</summary>
    public void ForgetDeleted(Mapping mapping, string recordId)
    {
        var key = (mapping.Connection, mapping.RecordType, recordId);
        _deleted.Remove(key);
        _deletedChanges[key] = null;
    }

    /// <summary>Makes a kept deleted link live again: its record came back.</summary>
    public LinkState Restore(Mapping mapping, LinkState deleted)
    {
        ForgetDeleted(mapping, deleted.RecordId!);
        Track(deleted);
        Touch(deleted);
        return deleted;
    }

    public SyncConflict? Conflict(string entityId, string field) => _conflicts.GetValueOrDefault((entityId, field));

    public void SetConflict(SyncConflict conflict)
    {
        _conflicts[(conflict.EntityId, conflict.Field)] = conflict;
        _dirtyConflicts.Add((conflict.EntityId, conflict.Field));
    }

    /// <summary>Identity-match keys of <paramref name="values"/>: one per rule whose fields all have a value.</summary>
    public IEnumerable<string> MatchKeys(IReadOnlyDictionary<string, JsonNode?> values)
    {
        for (var i = 0; i < Definition.Match.Count; i++)
        {
            var parts = new List<string>();
            foreach (var field in Definition.Match[i])
            {
                var text = RecordMapper.Show(values.GetValueOrDefault(field));
                if (string.IsNullOrWhiteSpace(text))
                {
                    parts.Clear();
                    break;
                }

                parts.Add(Normalizers.Apply(Normalizers.ForMatching, text));
            }

            if (parts.Count > 0)
            {
                yield return i + ":" + string.Join('\u001f', parts);
            }
        }
    }

    /// <summary>Moves the changes into <see cref="Commit"/>.</summary>
    public SyncCommit Seal()
    {
        foreach (var id in _dirtyEntities)
        {
            var entity = _entities[id];
            // A deleted entity keeps its keys: a new record that matches it revives it, rather than becoming a duplicate of it.
            var keys = MatchKeys(entity.Fields).ToList();
            foreach (var key in keys)
            {
                _matches.TryAdd(key, entity.Id);
            }

            Commit.Entities.Add((entity, keys));
        }

        Commit.Links.AddRange(_dirtyLinks);
        Commit.Unlinks.AddRange(_unlinks);
        foreach (var (key, link) in _deletedChanges)
        {
            if (link is null)
            {
                Commit.ForgottenDeletedLinks.Add((Definition.Name, key.Item1, key.Item2, key.Item3));
            }
            else
            {
                Commit.DeletedLinks.Add(link);
            }
        }

        foreach (var key in _dirtyConflicts)
        {
            var conflict = _conflicts[key];
            (conflict.Id == 0 ? Commit.NewConflicts : Commit.UpdatedConflicts).Add(conflict);
        }

        return Commit;
    }

    private void Track(LinkState link)
    {
        _links[(link.EntityId, link.Connection, link.RecordType)] = link;
        if (link.RecordId is { } recordId)
        {
            _byRecord[(link.Connection, link.RecordType, recordId)] = link;
        }
        else
        {
            var key = (link.Connection, link.RecordType);
            if (!_creating.TryGetValue(key, out var list))
            {
                _creating[key] = list = [];
            }

            list.Add(link);
        }
    }
}
