using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Expressions;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Records;
using Isthmus.Storage;

namespace Isthmus.Sync;

/// <summary>What one record did to the model.</summary>
public enum IngestOutcome
{
    /// <summary>A new entity.</summary>
    Created,
    /// <summary>Fields of an entity changed.</summary>
    Updated,
    /// <summary>Nothing new: Isthmus's own write coming back, or a repeat.</summary>
    Unchanged,
    /// <summary>Older than what was already seen.</summary>
    Stale,
    /// <summary>The record failed mapping or validation; recorded as a sync error, nothing applied.</summary>
    Rejected,
    /// <summary>A delete, handled by the delete policy.</summary>
    Deleted,
    /// <summary>A delete of a record never linked.</summary>
    Ignored,
    /// <summary>A deleted entity came back: a record of it reappeared, or a new record matched it.</summary>
    Revived,
}

/// <summary>
/// The decisions of two-way sync, without I/O: a record read from a system is merged into its entity field by field
/// against what that system was known to hold (a three-way merge), each field's policy picks the winner, and the
/// writes that bring every other system to the entity's state are planned. Echoes of Isthmus's own writes match the
/// link's known values and change nothing, so writes are bounded: no loops.
/// </summary>
internal sealed class SyncPlanner(EntityDefinition definition, ExpressionEngine expressions)
{
    public EntityDefinition Definition => definition;

    /// <summary>Merges one record of <paramref name="from"/> into the working set.</summary>
    /// <param name="mapped">The record's model values and mapping problems (<see cref="RecordMapper.In"/>), computed by the caller for a whole page at once.</param>
    public IngestOutcome Ingest(SyncWorkingSet set, Mapping from, SourceRecord record, (Dictionary<string, JsonNode?> Values, List<MappingProblem> Problems) mapped,
        DateTimeOffset now, bool planWrites = true)
    {
        var link = set.LinkOfRecord(from, record.Id);
        if (link is not null && IsStale(link, record))
        {
            return IngestOutcome.Stale;
        }

        if (record.Deleted)
        {
            return link is null ? IngestOutcome.Ignored : Delete(set, from, link, record, now);
        }

        var (values, problems) = mapped;
        if (problems.Count > 0)
        {
            Reject(set, from, record, link?.EntityId, problems, now);
            return IngestOutcome.Rejected;
        }

        var entity = link is null ? null : set.Entity(link.EntityId);
        var created = false;
        var reattached = false; // to an entity found by the record's kept deleted link, or by an identity match: one deleted comes back
        var restored = false; // the kept deleted link
        if (link is null)
        {
            (entity, link) = Reattach(set, from, record, out var stale);
            if (stale)
            {
                return IngestOutcome.Stale;
            }

            reattached = restored = link is not null;
            if (link is null)
            {
                (entity, link, reattached) = Attach(set, from, record, values, now);
            }

            created = entity is null;
            if (entity is null)
            {
                entity = set.NewEntity(now);
                link = set.AddLink(entity, from, "sync", now);
            }
        }

        if (entity is null || link is null)
        {
            // A link whose entity row is missing: report it rather than guess.
            Reject(set, from, record, link?.EntityId, [new MappingProblem("*", null, "link", "the record is linked to an entity that no longer exists; unlink it and retry")], now);
            return IngestOutcome.Rejected;
        }

        var at = record.UpdatedAt ?? now;
        // Sized for every value up front: growing a dictionary field by field was a good part of a load's allocations.
        var accepted = new Dictionary<string, JsonNode?>(values.Count, StringComparer.Ordinal);
        var ranks = new Dictionary<string, FieldOrigin?>(values.Count, StringComparer.Ordinal); // the rank of what the record holds now, per changed field
        var held = new List<(string Field, JsonNode? Value)>();
        var news = false;
        foreach (var (field, value) in values)
        {
            var known = link.Base.TryGetValue(field, out var baseValue);
            if (known && FieldValues.Same(value, baseValue))
            {
                continue;
            }

            if (!known && value is null)
            {
                continue; // a record that never held the field (just matched, or created without it) says nothing about it
            }

            if (link.Pending.TryGetValue(field, out var pending) && FieldValues.Same(value, pending))
            {
                ranks[field] = link.PendingOrigins.GetValueOrDefault(field);
                continue; // our own write, seen before its acknowledgement
            }

            news = true;

            // Made on top of what the record was known to hold, so it ranks above that.
            var rank = FieldOrigin.Above(from.Connection, at, known ? link.BaseOrigins.GetValueOrDefault(field) : null);
            ranks[field] = rank;
            var current = entity.Fields.GetValueOrDefault(field);
            if (FieldValues.Same(current, value))
            {
                ranks[field] = entity.Origins.GetValueOrDefault(field) ?? rank; // the entity's value: it ranks as the entity holds it
                continue;
            }

            if (!known && value is null)
            {
                // The first word from this system on the field, and it is empty: a gap the entity's value fills (it is
                // written there below), not a change that would wipe the value or open a conflict over it.
                continue;
            }

            if (set.Conflict(entity.Id, field) is { } open)
            {
                held.Add((field, value));
                set.SetConflict(open with { Candidates = [.. open.Candidates.Where(c => c.Source != from.Connection), new ConflictCandidate(from.Connection, value, at)] });
                continue;
            }

            // Concurrent: the entity moved away from what this system last held, and this system moved too.
            var concurrent = !created && (known ? !FieldValues.Same(current, baseValue) : current is not null);
            var policy = definition.Policy.For(field);
            var origin = entity.Origins.GetValueOrDefault(field);
            var wins = policy.Winner switch
            {
                // Until its owner has said anything, another system's value fills the gap rather than being wiped.
                WinnerKind.Owner => string.Equals(policy.Owner, from.Connection, StringComparison.Ordinal) || origin is null || origin.Source != policy.Owner,
                WinnerKind.LastWriter => !concurrent || origin is null || rank.Outranks(origin),
                _ => !concurrent,
            };
            if (wins)
            {
                accepted[field] = value;
            }
            else if (policy.Winner == WinnerKind.Manual)
            {
                // Writes already queued to this system would overwrite its side of the conflict: drop them; they are planned again without it.
                set.Commit.ClearedWrites.Add((definition.Name, entity.Id, from.Connection, from.RecordType));
                link.Pending.Clear();
                link.Outstanding = 0;
                held.Add((field, value));
                set.SetConflict(new SyncConflict(0, definition.Name, entity.Id, field,
                    [new ConflictCandidate(origin?.Source ?? "model", current?.DeepClone(), origin?.At ?? entity.UpdatedAt), new ConflictCandidate(from.Connection, value, at)], now));
            }
        }

        // What the entity would hold, for validation only (read, never changed); a copy only when both sides hold values.
        var merged = accepted.Count == 0 ? entity.Fields : accepted;
        if (entity.Fields.Count > 0 && accepted.Count > 0)
        {
            merged = new Dictionary<string, JsonNode?>(entity.Fields, StringComparer.Ordinal);
            foreach (var (field, value) in accepted)
            {
                merged[field] = value;
            }
        }

        var invalid = Validate(merged, created, now);
        if (invalid.Count > 0)
        {
            // Nothing of the record is applied; a retry after a fix starts from the same state.
            foreach (var (field, _) in held)
            {
                if (set.Conflict(entity.Id, field) is { Id: 0 })
                {
                    set.SetConflict(set.Conflict(entity.Id, field)! with { Open = false });
                }
            }

            Reject(set, from, record, created ? null : entity.Id, invalid, now);
            if (created)
            {
                set.Unlink(link);
                set.Discard(entity);
            }
            else if (reattached && entity.Deleted)
            {
                // The entity stays deleted: the record goes back to how it was found, so its next version can revive it.
                set.Unlink(link);
                if (restored)
                {
                    set.KeepDeleted(link, link.SyncedAt);
                }
            }

            return IngestOutcome.Rejected;
        }

        var revived = reattached && entity.Deleted;
        if (revived)
        {
            Revive(set, entity, now);
        }

        if (news && link.Outstanding > 0 && link.RecordId is not null)
        {
            // The record changed after the writes queued to it were planned, so they rest on an older belief of it, and their
            // version check (read when they are sent) would let them overwrite the change. Drop them; they are planned again.
            set.Commit.ClearedWrites.Add((definition.Name, entity.Id, from.Connection, from.RecordType));
            link.Pending.Clear();
            link.Outstanding = 0;
        }

        entity.Fields.EnsureCapacity(entity.Fields.Count + accepted.Count);
        entity.Origins.EnsureCapacity(entity.Origins.Count + accepted.Count);
        foreach (var (field, value) in accepted)
        {
            entity.Fields[field] = value?.DeepClone();
            entity.Origins[field] = ranks[field]!;
        }

        if (accepted.Count > 0 || created)
        {
            entity.Version++;
            entity.UpdatedAt = now;
            set.Touch(entity);
        }

        link.Base.EnsureCapacity(values.Count);
        link.BaseOrigins.EnsureCapacity(ranks.Count);
        foreach (var (field, value) in values)
        {
            link.Base[field] = value;
            if (ranks.TryGetValue(field, out var rank))
            {
                SetRank(link.BaseOrigins, field, rank);
            }
        }

        link.RecordId = record.Id;
        link.RecordVersion = record.Version ?? link.RecordVersion;
        link.RecordUpdatedAt = record.UpdatedAt ?? link.RecordUpdatedAt;
        link.SyncedAt = now;
        set.Touch(link);
        if (planWrites)
        {
            PlanWrites(set, entity, now);
        }

        Accepted(set, from, record);
        return created ? IngestOutcome.Created : revived ? IngestOutcome.Revived : accepted.Count > 0 ? IngestOutcome.Updated : IngestOutcome.Unchanged;
    }

    /// <summary>
    /// Makes a deleted entity live again: from now on it syncs as before, and <see cref="PlanWrites"/> brings every system
    /// (back) to it. Deletes still queued (<c>propagate</c>) are dropped with the rest of those records' queued writes,
    /// which are planned again from what each record is known to hold.
    /// </summary>
    public void Revive(SyncWorkingSet set, EntityState entity, DateTimeOffset now)
    {
        entity.Deleted = false;
        entity.Version++;
        entity.UpdatedAt = now;
        set.Touch(entity);
        foreach (var mapping in definition.Mappings)
        {
            if (set.Link(entity.Id, mapping) is { Outstanding: > 0 } link)
            {
                set.Commit.ClearedWrites.Add((definition.Name, entity.Id, mapping.Connection, mapping.RecordType));
                link.Pending.Clear();
                link.PendingOrigins.Clear();
                link.Outstanding = 0;
                set.Touch(link);
            }
        }
    }

    /// <summary>Plans the writes that bring every system the entity is written to up to its state.</summary>
    public void PlanWrites(SyncWorkingSet set, EntityState entity, DateTimeOffset now)
    {
        if (entity.Deleted)
        {
            return;
        }

        JsonObject? json = null;
        foreach (var mapping in definition.Mappings.Where(m => m.Writes))
        {
            var link = set.Link(entity.Id, mapping);
            var creating = link is null;
            var diff = new Dictionary<string, JsonNode?>(mapping.Fields.Count, StringComparer.Ordinal);
            foreach (var field in mapping.Fields)
            {
                var name = field.Field.Name;
                if (field.Direction == SyncDirection.In || set.Conflict(entity.Id, name) is { Open: true })
                {
                    continue;
                }

                var value = entity.Fields.GetValueOrDefault(name);
                var expected = link is null ? null : link.Pending.TryGetValue(name, out var p) ? p : link.Base.GetValueOrDefault(name);
                if (!FieldValues.Same(value, expected) || (creating && value is not null))
                {
                    diff[name] = value;
                }
            }

            if (diff.Count == 0)
            {
                continue;
            }

            json ??= entity.ToJson();

            // A translated ref is mapped when the write is sent: the referenced record's id in that system may not be known yet.
            var plain = mapping.Fields.Any(f => f.RefRecordType is not null && diff.ContainsKey(f.Field.Name))
                ? diff.Where(d => !mapping.Fields.Any(f => f.Field.Name == d.Key && f.RefRecordType is not null)).ToDictionary(StringComparer.Ordinal)
                : diff;
            var (payload, problems) = RecordMapper.Out(mapping, plain, json, expressions, now);
            string? recordId = null;
            if (problems.Count == 0 && creating && mapping.CreateId is { } createId)
            {
                (recordId, var problem) = CreateId(createId, json, now);
                if (problem is not null)
                {
                    problems.Add(problem);
                }
            }

            if (problems.Count > 0)
            {
                set.Commit.NewErrors.Add(new SyncError(0, definition.Name, mapping.Connection, mapping.RecordType, link?.RecordId, entity.Id, "out", problems, null, now));
                continue;
            }

            link ??= set.AddLink(entity, mapping, "sync", now);
            var values = new JsonObject();
            var origins = new Dictionary<string, FieldOrigin>(diff.Count, StringComparer.Ordinal);
            link.Pending.EnsureCapacity(link.Pending.Count + diff.Count);
            link.PendingOrigins.EnsureCapacity(link.PendingOrigins.Count + diff.Count);
            foreach (var (name, value) in diff)
            {
                link.Pending[name] = value?.DeepClone();
                values[name] = value?.DeepClone();
                var origin = entity.Origins.GetValueOrDefault(name);
                SetRank(link.PendingOrigins, name, origin);
                if (origin is not null)
                {
                    origins[name] = origin;
                }
            }

            link.Outstanding++;
            set.Touch(link);
            set.Commit.NewWrites.Add(new SyncWrite(0, definition.Name, entity.Id, mapping.Connection, mapping.RecordType, WriteOperation.Upsert,
                link.RecordId ?? recordId, values, payload, 0, now, null) { Origins = origins });
        }
    }

    /// <summary>A write was acknowledged: what it carried is now known to be in the record.</summary>
    public void Acknowledge(SyncWorkingSet set, SyncWrite write, SourceRecord? stored, DateTimeOffset now)
    {
        set.Commit.RemovedWrites.Add(write.Id);
        var mapping = MappingOf(write);

        // The link alone: an entity row is never removed (only marked deleted), so a link always has its entity.
        var link = mapping is null ? null : set.Link(write.EntityId, mapping);
        if (link is null)
        {
            return;
        }

        if (write.Operation == WriteOperation.Delete)
        {
            set.Unlink(link);
            set.KeepDeleted(link, now);
            return;
        }

        link.Base.EnsureCapacity(link.Base.Count + write.Values.Count);
        link.BaseOrigins.EnsureCapacity(link.BaseOrigins.Count + write.Values.Count);
        foreach (var (name, value) in write.Values)
        {
            link.Base[name] = value?.DeepClone();
            SetRank(link.BaseOrigins, name, write.Origins?.GetValueOrDefault(name));
        }

        // Not written: no longer pending there, so planning again writes it (unless a later write already carries another value).
        foreach (var (name, value) in write.LeftOut ?? [])
        {
            if (link.Pending.TryGetValue(name, out var pending) && FieldValues.Same(pending, value))
            {
                link.Pending.Remove(name);
                link.PendingOrigins.Remove(name);
            }
        }

        if (stored is not null)
        {
            link.RecordId = stored.Id;
            link.RecordVersion = stored.Version ?? link.RecordVersion;
            link.RecordUpdatedAt = stored.UpdatedAt ?? link.RecordUpdatedAt;
        }

        Finished(link, now);
        set.Touch(link);
    }

    /// <summary>A write will never succeed as planned: drop it (and, for a stale version, every later write planned on the same belief).</summary>
    /// <param name="staleVersion">The system refused the write's expected version: the link's queued writes rest on the same stale belief.</param>
    /// <param name="problems">Why, kept as a <c>write</c> error; <c>null</c>: no error (the write is planned again at once).</param>
    public void Abandon(SyncWorkingSet set, SyncWrite write, bool staleVersion, IReadOnlyList<MappingProblem>? problems, DateTimeOffset now)
    {
        set.Commit.RemovedWrites.Add(write.Id);
        if (staleVersion)
        {
            set.Commit.ClearedWrites.Add((write.Entity, write.EntityId, write.Connection, write.RecordType));
        }

        var mapping = MappingOf(write);
        if (problems is not null)
        {
            set.Commit.NewErrors.Add(new SyncError(0, definition.Name, write.Connection, write.RecordType, write.RecordId, write.EntityId, "write",
                problems, write.Payload, now));
        }

        if (mapping is not null && set.Link(write.EntityId, mapping) is { } link)
        {
            link.Outstanding = 0;
            link.Pending.Clear();
            if (link.RecordId is null)
            {
                set.Unlink(link); // the record was never created; a later change or reconciliation creates it again
                return;
            }

            link.SyncedAt = now;
            set.Touch(link);
        }
    }

    /// <summary>Resolves a conflict with <paramref name="value"/>: the entity takes it and every system is brought to it.</summary>
    public bool Resolve(SyncWorkingSet set, SyncConflict conflict, JsonNode? value, string by, DateTimeOffset now)
    {
        var entity = set.Entity(conflict.EntityId);
        var field = definition.Field(conflict.Field);
        if (entity is null || field is null)
        {
            return false;
        }

        entity.Fields[conflict.Field] = FieldValues.Coerce(field, value).Value;
        entity.Origins[conflict.Field] = FieldOrigin.Above("manual:" + by, now, entity.Origins.GetValueOrDefault(conflict.Field));
        entity.Version++;
        entity.UpdatedAt = now;
        set.Touch(entity);
        set.SetConflict(conflict with { Open = false, Resolution = value?.DeepClone(), ResolvedBy = by, ResolvedAt = now });
        PlanWrites(set, entity, now);
        return true;
    }

    private IngestOutcome Delete(SyncWorkingSet set, Mapping from, LinkState link, SourceRecord record, DateTimeOffset now)
    {
        var policy = definition.Policy.Deletes;
        if (policy == DeletePolicy.Ignore)
        {
            return IngestOutcome.Ignored;
        }

        // Kept with the delete's own version and time: only a later version of the record revives the entity, not a late
        // copy of the record from before it was deleted.
        set.Unlink(link);
        link.RecordVersion = record.Version ?? link.RecordVersion;
        link.RecordUpdatedAt = record.UpdatedAt ?? link.RecordUpdatedAt;
        set.KeepDeleted(link, now);
        if (set.Entity(link.EntityId) is not { } entity)
        {
            return IngestOutcome.Deleted;
        }

        entity.Deleted = true;
        entity.Version++;
        entity.UpdatedAt = now;
        set.Touch(entity);
        if (policy == DeletePolicy.Propagate)
        {
            foreach (var mapping in definition.Mappings.Where(m => m.Writes && m != from))
            {
                if (set.Link(entity.Id, mapping) is { RecordId: { } recordId } other)
                {
                    other.Outstanding++;
                    set.Touch(other);
                    set.Commit.NewWrites.Add(new SyncWrite(0, definition.Name, entity.Id, mapping.Connection, mapping.RecordType, WriteOperation.Delete,
                        recordId, new JsonObject(), new JsonObject(), 0, now, null));
                }
            }
        }

        return IngestOutcome.Deleted;
    }

    /// <summary>
    /// A record deleted before, coming back under its id, finds its entity through the link kept when it was deleted,
    /// which is live again (with what the record held then as its base). <paramref name="stale"/>: the record is no later
    /// than the copy seen when it was deleted (a late copy of it, not the record back).
    /// </summary>
    private (EntityState?, LinkState?) Reattach(SyncWorkingSet set, Mapping from, SourceRecord record, out bool stale)
    {
        stale = false;
        if (set.DeletedLink(from, record.Id) is not { } deleted)
        {
            return (null, null);
        }

        if (set.Entity(deleted.EntityId) is not { } entity)
        {
            set.ForgetDeleted(from, record.Id);
            return (null, null);
        }

        if (!IsNewer(record, deleted))
        {
            stale = true;
            return (null, null);
        }

        switch (set.Link(entity.Id, from))
        {
            case null:
                return (entity, set.Restore(from, deleted));
            case { RecordId: null } creating:
                // The entity came back already and its record here is being created again: the old record is back first, so
                // it is taken instead (the create, whose values predate it, is dropped; the merge plans what it lacks).
                set.Commit.ClearedWrites.Add((definition.Name, entity.Id, from.Connection, from.RecordType));
                creating.Pending.Clear();
                set.Unlink(creating);
                return (entity, set.Restore(from, deleted));
            default:
                // The entity has another record here by now (created again after it came back): this one is no longer its.
                set.ForgetDeleted(from, record.Id);
                return (null, null);
        }
    }

    /// <summary>
    /// Finds the entity an unlinked record belongs to: Isthmus's own create coming back, or an identity match (a deleted
    /// entity too: <c>Matched</c> says so, and the record revives it).
    /// </summary>
    private static (EntityState?, LinkState?, bool Matched) Attach(SyncWorkingSet set, Mapping from, SourceRecord record, Dictionary<string, JsonNode?> values, DateTimeOffset now)
    {
        foreach (var creating in set.Creating(from))
        {
            if (creating.Pending.Count > 0 && creating.Pending.All(p => !values.TryGetValue(p.Key, out var v) || FieldValues.Same(v, p.Value)))
            {
                creating.RecordId = record.Id;
                set.Touch(creating);
                return (set.Entity(creating.EntityId), creating, false);
            }
        }

        foreach (var key in set.MatchKeys(values))
        {
            if (set.Match(key) is { } id && set.Entity(id) is { } entity)
            {
                switch (set.Link(id, from))
                {
                    case null:
                        return (entity, set.AddLink(entity, from, "match", now), true);
                    case { RecordId: null } creating:
                        // The record Isthmus was about to create here exists already: take it, and drop the queued create
                        // (whose values predate this record); the merge plans whatever the record still lacks.
                        set.Commit.ClearedWrites.Add((entity.Entity, entity.Id, from.Connection, from.RecordType));
                        creating.Pending.Clear();
                        creating.Outstanding = 0;
                        creating.Source = "match";
                        creating.RecordId = record.Id;
                        set.Touch(creating);
                        return (entity, creating, true);
                }
            }
        }

        return (null, null, false);
    }

    private List<MappingProblem> Validate(Dictionary<string, JsonNode?> fields, bool created, DateTimeOffset now)
    {
        var problems = new List<MappingProblem>();
        foreach (var field in definition.Fields.Where(f => f.Required))
        {
            if (fields.GetValueOrDefault(field.Name) is null && (created || fields.ContainsKey(field.Name)))
            {
                problems.Add(new MappingProblem(field.Name, null, "required", $"{definition.Name}.{field.Name} is required"));
            }
        }

        if (definition.Rules.Count == 0 || problems.Count > 0)
        {
            return problems;
        }

        var json = new JsonObject();
        foreach (var (name, value) in fields)
        {
            json[name] = value?.DeepClone();
        }

        using var scope = RecordMapper.Scope(expressions, now, "entity", json); // now(): the time the record is applied
        foreach (var rule in definition.Rules)
        {
            bool ok;
            string message = rule.Message;
            try
            {
                ok = scope.Test(rule.Check);
            }
            catch (ExpressionException e)
            {
                ok = false;
                message = e.Message;
            }

            if (!ok)
            {
                var field = rule.Field ?? "*";
                problems.Add(new MappingProblem(field, rule.Field is null ? null : RecordMapper.Show(fields.GetValueOrDefault(rule.Field)), $"rule {rule.Name}", message));
            }
        }

        return problems;
    }

    private void Reject(SyncWorkingSet set, Mapping from, SourceRecord record, string? entityId, List<MappingProblem> problems, DateTimeOffset now) =>
        set.Commit.NewErrors.Add(new SyncError(0, definition.Name, from.Connection, from.RecordType, record.Id, entityId, "in", problems, record.Fields, now)
        {
            RecordVersion = Number(record.Version),
            RecordUpdatedAt = record.UpdatedAt,
        });

    /// <summary>
    /// The record was taken in: the errors that refused it before (this version or an older one) are answered and close. A
    /// refusal earlier in the same batch is simply not recorded.
    /// </summary>
    private void Accepted(SyncWorkingSet set, Mapping from, SourceRecord record)
    {
        set.Commit.NewErrors.RemoveAll(e => e.Kind == "in" && e.RecordId == record.Id && e.Connection == from.Connection && e.RecordType == from.RecordType);
        set.Commit.ClosedRecordErrors.Add(new RecordErrors(definition.Name, from.Connection, from.RecordType, record.Id, "in")
        {
            Version = Number(record.Version),
            UpdatedAt = record.UpdatedAt,
        });
    }

    private static long? Number(string? version) =>
        long.TryParse(version, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Whether <paramref name="record"/> is later than the copy <paramref name="link"/> last saw; true when nothing tells.</summary>
    internal static bool IsNewer(SourceRecord record, LinkState link) => Age(record, link) is null or > 0;

    private static bool IsStale(LinkState link, SourceRecord record) => Age(record, link) < 0;

    /// <summary>
    /// How <paramref name="record"/> compares with the copy <paramref name="link"/> last saw: by version when both have a
    /// numeric one, else by updated-at when both have one; <c>null</c> when nothing tells.
    /// </summary>
    private static int? Age(SourceRecord record, LinkState link)
    {
        if (record.Version is { } v && link.RecordVersion is { } seen
            && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
            && long.TryParse(seen, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b))
        {
            return a.CompareTo(b);
        }

        return record.UpdatedAt is { } at && link.RecordUpdatedAt is { } last ? at.CompareTo(last) : null;
    }

    private static void SetRank(Dictionary<string, FieldOrigin> ranks, string field, FieldOrigin? rank)
    {
        if (rank is null)
        {
            ranks.Remove(field);
        }
        else
        {
            ranks[field] = rank;
        }
    }

    private static void Finished(LinkState link, DateTimeOffset now)
    {
        link.Outstanding = Math.Max(0, link.Outstanding - 1);
        if (link.Outstanding == 0)
        {
            link.Pending.Clear();
        }

        link.SyncedAt = now;
    }

    private Mapping? MappingOf(SyncWrite write) =>
        definition.Mapping(write.Connection, write.RecordType);

    private (string?, MappingProblem?) CreateId(Expression createId, JsonObject entity, DateTimeOffset now)
    {
        using var scope = RecordMapper.Scope(expressions, now, "entity", entity);
        try
        {
            var id = RecordMapper.Show(scope.Evaluate(createId));
            return string.IsNullOrEmpty(id) ? (null, new MappingProblem("*", null, "createId", "createId gave no id")) : (id, null);
        }
        catch (ExpressionException e)
        {
            return (null, new MappingProblem("*", null, "createId", e.Message));
        }
    }
}
