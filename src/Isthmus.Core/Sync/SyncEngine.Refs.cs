using System.Text.Json.Nodes;
using Isthmus.Connectors;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Records;

namespace Isthmus.Sync;

/// <summary>
/// The records being taken in while the refs of other records wait for them, and the records that referred back to one of
/// them (a cycle of new records): those are taken in without that field first, and again once it can be translated.
/// </summary>
internal sealed class RefChain(bool defers)
{
    /// <summary>Whether a ref back into the chain is left out for now; when not, it is read in like any other (up to the depth limit).</summary>
    public bool Defers => defers;

    /// <summary>Records (entity, connection, record type, record id) whose translation waits for a referenced record to be taken in.</summary>
    public HashSet<(string Entity, string Connection, string RecordType, string RecordId)> Taking { get; } = [];

    /// <summary>Records taken in with a ref left out, to take in again once the chain is in.</summary>
    public Dictionary<(Mapping Mapping, string RecordId), SourceRecord> Deferred { get; } = [];
}

/// <summary>A write not sent because an entity it refers to has no record in the target yet, though one is on its way; tried again at <see cref="Until"/>.</summary>
internal sealed class RefWaitException(string message, DateTimeOffset until) : Exception(message)
{
    /// <summary>When to try it again.</summary>
    public DateTimeOffset Until { get; } = until;
}

/// <summary>A write not sent because an entity it refers to has no record in the target and will not get one.</summary>
internal sealed class RefUnresolvedException(IReadOnlyList<MappingProblem> problems) : Exception(string.Join("; ", problems.Select(p => p.Message)))
{
    /// <summary>One problem per reference that cannot be translated.</summary>
    public IReadOnlyList<MappingProblem> Problems { get; } = problems;
}

/// <summary>
/// <c>ref</c> fields, and lists of refs, whose entity is mapped on the same connection: a record holds the referenced record's
/// id in that system, the model the referenced entity's id. Reading translates through the links (reading in referenced
/// records not linked yet); writing translates when the write is sent, since the referenced record may not exist there yet.
/// </summary>
public sealed partial class SyncEngine
{
    /// <summary>How deep reading in the records that refs point at may go (a ref of a ref of a ref), so a long chain of new records ends.</summary>
    private const int MaxRefDepth = 3;

    /// <summary>The shortest wait of a write for a referenced record's create, so the writer does not spin on it.</summary>
    private static readonly TimeSpan MinRefWait = TimeSpan.FromMilliseconds(250);

    /// <summary>How many queued writes the search for a cycle of creates looks at before it gives up (and the write just waits).</summary>
    private const int MaxCycleSearch = 1000;

    /// <summary>
    /// Turns the values of translated ref fields (the referenced record's id in this system) into the referenced entity's id,
    /// through its links. A referenced record not linked yet is read from the system and taken in first (when
    /// <paramref name="fetch"/>); one that is still not linked after that makes the record's problem, naming field (and list
    /// item), value and entity. A record referring back to a record whose own translation waits for it (a cycle of new
    /// records, or a record referring to itself) is taken in without that field, and again once the chain is in.
    /// </summary>
    private async Task TranslateRefsAsync(Mapping mapping, IReadOnlyList<SourceRecord> records,
        IReadOnlyList<(Dictionary<string, JsonNode?> Values, List<MappingProblem> Problems)> mapped, bool fetch, bool planWrites, int depth, RefChain? chain,
        CancellationToken cancellationToken)
    {
        foreach (var field in mapping.Fields)
        {
            if (field.RefRecordType is not { } recordType || field.Direction == SyncDirection.Out)
            {
                continue;
            }

            var name = field.Field.Name;
            List<string> IdsOf(int i) => mapped[i].Problems.Count > 0 ? [] : Ids(field, mapped[i].Values.GetValueOrDefault(name)).OfType<string>().ToList();
            var wanted = Enumerable.Range(0, mapped.Count).SelectMany(IdsOf).Distinct(StringComparer.Ordinal).ToList();
            if (wanted.Count == 0)
            {
                continue;
            }

            var target = Model.Entity(field.Field.RefEntity!)!.Mapping(mapping.Connection, recordType)!;
            async Task<Dictionary<string, string>> LinkedAsync(IReadOnlyCollection<string> ids) =>
                (await _store.LinksByRecordAsync(target.Entity, target.Connection, target.RecordType, ids, cancellationToken).ConfigureAwait(false))
                .ToDictionary(l => l.RecordId!, l => l.EntityId, StringComparer.Ordinal);

            var linked = await LinkedAsync(wanted).ConfigureAwait(false);
            var missing = wanted.Where(id => !linked.ContainsKey(id)).ToList();
            if (missing.Count > 0 && chain is { Defers: true })
            {
                // A record up the stack waits for this one to be taken in: reading it in again would only go round the cycle.
                var cyclic = missing.Where(id => chain.Taking.Contains((target.Entity, target.Connection, target.RecordType, id))).ToHashSet(StringComparer.Ordinal);
                for (var i = 0; i < mapped.Count && cyclic.Count > 0; i++)
                {
                    if (IdsOf(i).Any(cyclic.Contains))
                    {
                        mapped[i].Values.Remove(name);
                        chain.Deferred[(mapping, records[i].Id)] = records[i];
                    }
                }

                missing.RemoveAll(cyclic.Contains);
            }

            var why = new Dictionary<string, string>(StringComparer.Ordinal);
            if (missing.Count > 0 && fetch)
            {
                var connector = RecordConnector(target.Connection);
                var found = new List<SourceRecord>();
                foreach (var id in missing)
                {
                    try
                    {
                        if (await connector.GetAsync(target.RecordType, id, cancellationToken).ConfigureAwait(false) is { Deleted: false } record)
                        {
                            found.Add(record);
                            why[id] = $"the {target.Entity} record '{id}' of {target.Connection} was refused; see its sync error";
                        }
                    }
                    catch (ConnectorException e) when (e.Kind == FailureKind.Rejected)
                    {
                        why[id] = $"the {target.Entity} record '{id}' is not linked yet, and {target.Connection} cannot look {target.RecordType} up by id ({e.Message})";
                    }
                }

                if (found.Count > 0)
                {
                    // The records referring to them wait for them: a ref from them back to one of these records closes a cycle.
                    var fetched = found.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
                    var waiting = new List<(string, string, string, string)>();
                    for (var i = 0; i < mapped.Count && chain is { Defers: true }; i++)
                    {
                        if (IdsOf(i).Any(fetched.Contains) && chain.Taking.Add((mapping.Entity, mapping.Connection, mapping.RecordType, records[i].Id)))
                        {
                            waiting.Add((mapping.Entity, mapping.Connection, mapping.RecordType, records[i].Id));
                        }
                    }

                    try
                    {
                        await IngestAsync(target, found, null, planWrites, cancellationToken, depth + 1, chain).ConfigureAwait(false);
                    }
                    finally
                    {
                        chain?.Taking.ExceptWith(waiting);
                    }

                    foreach (var (id, entityId) in await LinkedAsync(missing).ConfigureAwait(false))
                    {
                        linked[id] = entityId;
                    }
                }
            }

            string Problem(string id, string at) => $"{mapping.Entity}.{at} refers to {target.Entity} '{id}', but " +
                (why.GetValueOrDefault(id) ?? (fetch
                    ? $"{target.Connection} has no {target.RecordType} record '{id}'; correct the reference or create the record there"
                    : $"no {target.Entity} is linked to {target.Connection} record '{id}' yet"));

            foreach (var (values, problems) in mapped)
            {
                if (problems.Count > 0 || !values.TryGetValue(name, out var value) || value is null)
                {
                    continue;
                }

                if (field.Field.Kind != FieldKind.List)
                {
                    var id = RecordMapper.Show(value)!;
                    if (linked.TryGetValue(id, out var entityId))
                    {
                        values[name] = JsonValue.Create(entityId);
                    }
                    else
                    {
                        problems.Add(new MappingProblem(name, id, "ref", Problem(id, name)));
                    }

                    continue;
                }

                var items = new JsonArray();
                var index = 0;
                foreach (var id in Ids(field, value))
                {
                    if (id is null)
                    {
                        items.Add(null);
                    }
                    else if (linked.TryGetValue(id, out var entityId))
                    {
                        items.Add(JsonValue.Create(entityId));
                    }
                    else
                    {
                        problems.Add(new MappingProblem(name, id, "ref", Problem(id, $"{name}[{index}]")));
                    }

                    index++;
                }

                if (problems.Count == 0)
                {
                    values[name] = items;
                }
            }
        }
    }

    /// <summary>Takes in again the records of a chain that were taken in with a ref left out: the records they refer to are linked now.</summary>
    private async Task TakeInDeferredAsync(RefChain chain, bool planWrites, CancellationToken cancellationToken)
    {
        // Without deferring this time: a ref that still cannot be translated is the record's problem, as any other.
        foreach (var group in chain.Deferred.GroupBy(d => d.Key.Mapping, d => d.Value))
        {
            await IngestAsync(group.Key, group.ToList(), null, planWrites, cancellationToken, 0, new RefChain(defers: false)).ConfigureAwait(false);
        }
    }

    /// <summary>The ids a ref field's value holds: the one of a single ref, each item of a list (null for an empty item).</summary>
    private static IEnumerable<string?> Ids(FieldMapping field, JsonNode? value) =>
        value is null ? []
        : field.Field.Kind == FieldKind.List ? value is JsonArray items ? items.Select(RecordMapper.Show) : []
        : [RecordMapper.Show(value)];

    /// <summary>A referenced entity as the target connection knows it: its entity, its record type there and its id.</summary>
    private readonly record struct RefTarget(string Entity, string RecordType, string EntityId);

    /// <summary>One referenced entity id in a write: its field, its position when the field is a list, and what it points at.</summary>
    private readonly record struct RefUse(FieldMapping Field, int? Item, RefTarget Target)
    {
        /// <summary>The field as named in messages: <c>customer</c>, or <c>contacts[2]</c> for an item.</summary>
        public string Name => Item is { } i ? $"{Field.Field.Name}[{i}]" : Field.Field.Name;
    }

    /// <summary>The referenced entity ids a write carries.</summary>
    private static List<RefUse> Uses(List<FieldMapping> refs, SyncWrite write)
    {
        var uses = new List<RefUse>();
        if (write.Operation != WriteOperation.Upsert)
        {
            return uses;
        }

        foreach (var field in refs)
        {
            var index = 0;
            foreach (var id in Ids(field, write.Values[field.Field.Name]))
            {
                if (id is not null)
                {
                    uses.Add(new RefUse(field, field.Field.Kind == FieldKind.List ? index : null, new RefTarget(field.Field.RefEntity!, field.RefRecordType!, id)));
                }

                index++;
            }
        }

        return uses;
    }

    /// <summary>
    /// The writes of <paramref name="remaining"/> to send next: those that do not refer to an entity whose create is among
    /// the remaining writes of this batch (it goes first, and its id is known once it is acknowledged). When every write
    /// left waits for another (a cycle of creates), all go: the oldest on each cycle is sent without those refs.
    /// </summary>
    private static async Task<List<SyncWrite>> NextWaveAsync(List<SyncWrite> remaining, RefLookup refs, CancellationToken cancellationToken)
    {
        if (remaining.Select(w => (w.Entity, w.RecordType)).Distinct().All(k => refs.Fields(k.Entity, k.RecordType).Count == 0))
        {
            return remaining; // nothing in it refers to anything
        }

        var uses = remaining.ToDictionary(w => w.Id, w => Uses(refs.Fields(w.Entity, w.RecordType), w));

        await refs.ReadIdsAsync(uses.Values.SelectMany(u => u.Select(x => x.Target)), cancellationToken).ConfigureAwait(false);
        var creating = remaining.Select(w => new RefTarget(w.Entity, w.RecordType, w.EntityId)).Where(t => refs.RecordId(t) is null).ToHashSet();
        var wave = remaining.Where(w => !uses[w.Id].Any(u => creating.Contains(u.Target))).ToList();
        return wave.Count > 0 ? wave : remaining;
    }

    /// <summary>
    /// The writes with their refs translated into the payload: the referenced entity's record id in this system. A write
    /// whose referenced entity has no record there yet waits (its outcome says until when), without using up an attempt,
    /// while a write that will create it is queued; when none is, or the referenced entity is gone, it fails with a
    /// problem per reference. A write on a cycle of creates waiting for each other is sent without those refs, when it is
    /// the oldest on the cycle; they follow once the others have ids.
    /// </summary>
    private async Task<List<SyncWrite>> TranslateRefsOutAsync(string connection, string entity, string recordType, List<SyncWrite> writes,
        (SourceRecord? Stored, Exception? Error)[] outcomes, RefLookup refs, CancellationToken cancellationToken)
    {
        var fields = refs.Fields(entity, recordType);
        if (fields.Count == 0)
        {
            return writes;
        }

        var uses = writes.Select(w => Uses(fields, w)).ToList();
        await refs.ReadIdsAsync(uses.SelectMany(u => u.Select(x => x.Target)), cancellationToken).ConfigureAwait(false);
        var unresolved = uses.SelectMany(u => u.Select(x => x.Target)).Where(t => refs.RecordId(t) is null).Distinct().ToList();
        await refs.ReadStatesAsync(unresolved, cancellationToken).ConfigureAwait(false);

        var mapping = Model.Entity(entity)!.Mapping(connection, recordType)!;
        var now = _time.GetUtcNow();
        var settings = _active().Config.Deliveries;
        var sending = new List<SyncWrite>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            var open = uses[i].Where(u => refs.RecordId(u.Target) is null).ToList();
            var dead = open.Where(u => refs.State(u.Target)?.Dead is not null).ToList();
            if (dead.Count > 0)
            {
                outcomes[i] = (null, new RefUnresolvedException(dead.Select(u => new MappingProblem(u.Field.Field.Name, u.Target.EntityId, "ref",
                    $"{entity}.{u.Name} refers to {u.Target.Entity} {u.Target.EntityId}, which has no {u.Target.RecordType} record in {connection} and will not get one: " +
                    refs.State(u.Target)!.Dead)).ToList()));
                sending.Add(write);
                continue;
            }

            if (open.Count > 0 && !await BreaksCycleAsync(write, open, refs, cancellationToken).ConfigureAwait(false))
            {
                // Tried again when the write it waits for is next due (at once if it is due now), within the retry schedule's cap.
                var due = open.Select(u => refs.State(u.Target)?.Head?.NextAt ?? now).Max();
                var until = Max(now + MinRefWait, Min(due, now + settings.MaxDelay));
                var reasons = open.Take(3).Select(u =>
                    $"{entity}.{u.Name} refers to {u.Target.Entity} {u.Target.EntityId}, which has no {u.Target.RecordType} record in {connection} yet ({refs.State(u.Target)?.Waiting ?? "its create is queued"})");
                outcomes[i] = (null, new RefWaitException($"{string.Join("; ", reasons)}{(open.Count > 3 ? $"; and {open.Count - 3} more" : "")}; the write waits for it", until));
                sending.Add(write);
                continue;
            }

            // On a cycle, what cannot be translated yet is left out now and written once it can be.
            var leftOut = open.Select(u => u.Field.Field.Name).ToHashSet(StringComparer.Ordinal);
            var translated = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var field in fields)
            {
                var name = field.Field.Name;
                if (write.Operation != WriteOperation.Upsert || leftOut.Contains(name) || !write.Values.TryGetPropertyValue(name, out var value))
                {
                    continue;
                }

                JsonNode? RecordIdOf(string? id) => id is null ? null : JsonValue.Create(refs.RecordId(new RefTarget(field.Field.RefEntity!, field.RefRecordType!, id)));
                translated[name] = field.Field.Kind == FieldKind.List && value is JsonArray
                    ? new JsonArray(Ids(field, value).Select(RecordIdOf).ToArray())
                    : value is null ? null : RecordIdOf(RecordMapper.Show(value));
            }

            if (translated.Count == 0 && leftOut.Count == 0)
            {
                sending.Add(write);
                continue;
            }

            var (mappedFields, problems) = RecordMapper.Out(mapping, translated, write.Values, Expressions, now);
            if (problems.Count > 0)
            {
                outcomes[i] = (null, new ConnectorException($"the write could not be mapped: {string.Join("; ", problems)}", FailureKind.Rejected));
                sending.Add(write);
                continue;
            }

            var payload = (JsonObject)write.Payload.DeepClone();
            Merge(payload, mappedFields);
            var sent = write with { Payload = payload };
            if (leftOut.Count > 0)
            {
                var values = (JsonObject)write.Values.DeepClone();
                var later = new JsonObject();
                foreach (var name in leftOut)
                {
                    later[name] = values[name]?.DeepClone();
                    values.Remove(name);
                }

                sent = sent with { Values = values, LeftOut = later };
            }

            sending.Add(sent);
        }

        return sending;
    }

    /// <summary>
    /// Whether <paramref name="write"/>, a create waiting for the creates of entities it refers to, is on a cycle of creates
    /// that wait for each other (A for B, B for A; or A for itself) and is the oldest write on it: then it goes first,
    /// without those refs. Every other write on the cycle waits, so each cycle is broken once, by the same write.
    /// </summary>
    private static async Task<bool> BreaksCycleAsync(SyncWrite write, List<RefUse> open, RefLookup refs, CancellationToken cancellationToken)
    {
        var start = new RefTarget(write.Entity, write.RecordType, write.EntityId);
        await refs.ReadIdsAsync([start], cancellationToken).ConfigureAwait(false);
        if (refs.RecordId(start) is not null)
        {
            return false; // its record exists: nothing waits for it, so it is on no cycle
        }

        // Breadth first through the writes that the waited-for creates wait for in turn, back to this write's own entity.
        var waitsFor = new Dictionary<long, SyncWrite?>(); // a write on the way → the write that waits for it (null: waited for by this one)
        var level = new List<SyncWrite>();
        foreach (var head in open.Select(u => refs.State(u.Target)?.Head).OfType<SyncWrite>())
        {
            if (waitsFor.TryAdd(head.Id, null))
            {
                level.Add(head);
            }
        }

        while (level.Count > 0 && waitsFor.Count < MaxCycleSearch)
        {
            var needs = level.Select(w => (Write: w, Targets: Uses(refs.Fields(w.Entity, w.RecordType), w).Select(u => u.Target).Distinct().ToList())).ToList();
            await refs.ReadIdsAsync(needs.SelectMany(n => n.Targets), cancellationToken).ConfigureAwait(false);
            foreach (var (waiting, targets) in needs)
            {
                if (targets.Contains(start))
                {
                    var oldest = waiting.Id;
                    for (var w = waitsFor[waiting.Id]; w is not null; w = waitsFor[w.Id])
                    {
                        oldest = Math.Min(oldest, w.Id);
                    }

                    return write.Id <= oldest;
                }
            }

            var further = needs.SelectMany(n => n.Targets.Where(t => refs.RecordId(t) is null).Select(t => (n.Write, Target: t))).ToList();
            await refs.ReadStatesAsync(further.Select(f => f.Target).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
            level = [];
            foreach (var (waiting, target) in further)
            {
                if (refs.State(target)?.Head is { } head && waitsFor.TryAdd(head.Id, waiting))
                {
                    level.Add(head);
                }
            }
        }

        return false;
    }

    /// <summary>The record ids of the entities written in a batch that were acknowledged: the links they will have once recorded.</summary>
    private static Dictionary<RefTarget, string> Acknowledged(IEnumerable<SentGroup> sent)
    {
        var ids = new Dictionary<RefTarget, string>();
        foreach (var group in sent)
        {
            for (var i = 0; i < group.Writes.Count; i++)
            {
                if (group.Writes[i] is { Operation: WriteOperation.Upsert } write && group.Outcomes[i] is { Error: null, Stored: { } stored })
                {
                    ids[new RefTarget(write.Entity, write.RecordType, write.EntityId)] = stored.Id;
                }
            }
        }

        return ids;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>What became of a referenced entity without a record id in the target: the write that will create it, or why none will.</summary>
    private sealed record RefState(SyncWrite? Head, string? Waiting, string? Dead);

    /// <summary>
    /// What one batch of writes to a connection knows of the entities its writes refer to: their record ids there (from the
    /// acknowledgements of this batch and of the one still being recorded, then from the links), and, for those without
    /// one, the write that will create it or why none will.
    /// </summary>
    private sealed class RefLookup(SyncEngine engine, string connection, IReadOnlyDictionary<RefTarget, string> acknowledged)
    {
        private readonly Dictionary<RefTarget, string?> _ids = acknowledged.ToDictionary(a => a.Key, a => (string?)a.Value);
        private readonly Dictionary<RefTarget, RefState> _states = [];
        private readonly Dictionary<RefTarget, string> _failed = [];
        private readonly Dictionary<(string, string), List<FieldMapping>> _fields = [];

        /// <summary>The fields of an entity's mapping to this connection's record type whose refs are translated on the way out.</summary>
        public List<FieldMapping> Fields(string entity, string recordType)
        {
            if (!_fields.TryGetValue((entity, recordType), out var fields))
            {
                _fields[(entity, recordType)] = fields = engine.Model.Entity(entity)?.Mapping(connection, recordType)?.Fields
                    .Where(f => f.RefRecordType is not null && f.Direction != SyncDirection.In).ToList() ?? [];
            }

            return fields;
        }

        public string? RecordId(RefTarget target) => _ids.GetValueOrDefault(target);

        /// <summary>What became of a target without a record id (once read); <c>null</c> for one with a record id.</summary>
        public RefState? State(RefTarget target) => _states.GetValueOrDefault(target);

        /// <summary>An acknowledgement of this batch: the record exists now.</summary>
        public void Learn(RefTarget target, string recordId)
        {
            _ids[target] = recordId;
            _states.Remove(target);
        }

        /// <summary>A create of this batch that failed (it is tried again, or given up once recorded).</summary>
        public void Failed(RefTarget target, string error)
        {
            _failed[target] = error;
            if (_states.TryGetValue(target, out var state) && state.Head is not null)
            {
                _states[target] = state with { Waiting = Queued(target, state.Head) };
            }
        }

        private string Queued(RefTarget target, SyncWrite head) =>
            _failed.TryGetValue(target, out var error) ? $"its create failed just now ({error})"
            : head.Attempts > 0 ? $"its create is queued, after {head.Attempts} failed attempt(s): {head.LastError}"
            : head.LastError is not null ? "its create is queued, and waits itself"
            : "its create is queued";

        /// <summary>Reads the record ids of the targets not looked up yet from their links.</summary>
        public async Task ReadIdsAsync(IEnumerable<RefTarget> targets, CancellationToken cancellationToken)
        {
            foreach (var group in targets.Where(t => !_ids.ContainsKey(t)).Distinct().GroupBy(t => (t.Entity, t.RecordType)).ToList())
            {
                var ids = group.Select(t => t.EntityId).ToList();
                foreach (var target in group)
                {
                    _ids[target] = null;
                }

                foreach (var link in await engine._store.LinksToAsync(group.Key.Entity, connection, group.Key.RecordType, ids, cancellationToken).ConfigureAwait(false))
                {
                    if (link.RecordId is { } recordId)
                    {
                        _ids[new RefTarget(group.Key.Entity, group.Key.RecordType, link.EntityId)] = recordId;
                    }
                }
            }
        }

        /// <summary>For targets without a record id: the oldest write queued for them here, or why nothing will create their record.</summary>
        public async Task ReadStatesAsync(IReadOnlyCollection<RefTarget> targets, CancellationToken cancellationToken)
        {
            foreach (var group in targets.Where(t => RecordId(t) is null && !_states.ContainsKey(t)).Distinct().GroupBy(t => (t.Entity, t.RecordType)).ToList())
            {
                var (entity, recordType) = group.Key;
                var byId = group.ToDictionary(t => t.EntityId, StringComparer.Ordinal);
                foreach (var write in await engine._store.QueuedWritesAsync(entity, byId.Keys, connection, cancellationToken).ConfigureAwait(false))
                {
                    if (write.RecordType == recordType && byId.TryGetValue(write.EntityId, out var target) && !_states.ContainsKey(target))
                    {
                        _states[target] = new RefState(write, Queued(target, write), null);
                    }
                }

                var idle = group.Where(t => !_states.ContainsKey(t)).ToList();
                if (idle.Count > 0)
                {
                    await ReadIdleAsync(entity, recordType, idle, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Targets with nothing queued: read their links again (an acknowledgement may have just been recorded), then say why.</summary>
        private async Task ReadIdleAsync(string entity, string recordType, List<RefTarget> idle, CancellationToken cancellationToken)
        {
            var ids = idle.Select(t => t.EntityId).ToList();
            var links = (await engine._store.LinksToAsync(entity, connection, recordType, ids, cancellationToken).ConfigureAwait(false))
                .ToDictionary(l => l.EntityId, StringComparer.Ordinal);
            var entities = (await engine._store.EntitiesAsync(entity, ids, cancellationToken).ConfigureAwait(false)).ToDictionary(e => e.Id, StringComparer.Ordinal);
            var errors = await engine._store.OpenWriteErrorsAsync(entity, connection, recordType, ids, cancellationToken).ConfigureAwait(false);
            var writes = engine.Model.Entity(entity)?.Mapping(connection, recordType)?.Writes ?? false;
            var job = engine.Jobs.All.FirstOrDefault(j => j.Entity == entity && j.Status == "running");
            foreach (var target in idle)
            {
                var link = links.GetValueOrDefault(target.EntityId);
                if (link?.RecordId is { } recordId)
                {
                    Learn(target, recordId);
                    continue;
                }

                var error = errors.FirstOrDefault(e => e.EntityId == target.EntityId);
                var found = entities.GetValueOrDefault(target.EntityId);
                _states[target] = link is not null ? new RefState(null, "its create is being queued", null)
                    : job is not null && found is { Deleted: false } ? new RefState(null, $"a {job.Kind} of {entity} is running and may create it", null)
                    : new RefState(null, null, found is null ? $"there is no {entity} {target.EntityId}"
                        : found.Deleted ? $"{entity} {target.EntityId} is deleted, so it is written nowhere"
                        : !writes ? $"{entity} is not written to {connection} (its mapping there is direction: in); link the record there by hand (isthmus links), then retry this error"
                        : error is not null ? $"its own write there failed (sync error {error.Id}: {string.Join("; ", error.Problems.Select(p => p.Message))}); fix that and retry it, then retry this error"
                        : $"no write of it there is queued (it was unlinked, or its create was dropped); link it (isthmus links) or have it created (isthmus reconcile {entity}), then retry this error");
            }
        }
    }
}
