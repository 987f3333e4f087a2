using System.Globalization;
using System.Text.Json.Nodes;

namespace Isthmus.Emulators.Records;

/// <summary>An API answer: status, JSON body and the record's version for the ETag.</summary>
internal sealed record ApiAnswer(int Status, JsonNode? Body, long? Version = null)
{
    public static ApiAnswer Error(int status, string error, JsonNode? current = null) =>
        new(status, new JsonObject { ["error"] = error, ["current"] = current });
}

/// <summary>A change, as webhooks announce it; only valid while the store's lock is held (the record changes later).</summary>
internal sealed record RecordChange(string Type, string Kind, StoredRecord Record);

/// <summary>
/// Every record of every type, in memory, behind one lock. Changes are ordered by (updatedAt, change sequence); the clock
/// never goes backwards within the store, so that order is also the order changes were made in, and a reader that
/// resumes after a position never misses a later change.
/// </summary>
internal sealed class RecordStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RecordTable> _tables = new(StringComparer.Ordinal);
    private long _seq;
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Called under the lock for each change to announce, in change order.</summary>
    public Action<RecordChange>? Changed { get; set; }

    /// <summary>When set, every change gets this time (so many records share one updatedAt).</summary>
    public DateTimeOffset? FrozenAt { get; set; }

    public void AddType(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? spec.Trim() : spec[..colon].Trim();
        lock (_gate)
        {
            Table(name).Prefix = colon < 0 ? null : spec[(colon + 1)..].Trim();
        }
    }

    public IReadOnlyList<string> TypeNames()
    {
        lock (_gate)
        {
            return [.. _tables.Keys];
        }
    }

    public IReadOnlyDictionary<string, long> WritesByType()
    {
        lock (_gate)
        {
            return _tables.ToDictionary(t => t.Key, t => t.Value.Writes);
        }
    }

    /// <summary>Runs <paramref name="write"/> once per idempotency key: a repeat gets the first successful answer and changes nothing.</summary>
    public ApiAnswer Idempotent(string type, string? key, Func<ApiAnswer> write)
    {
        lock (_gate)
        {
            var table = Table(type);
            if (key is not null && table.Idempotent.TryGetValue(key, out var first))
            {
                return first;
            }

            var answer = write();
            if (key is not null && answer.Status is >= 200 and < 300)
            {
                table.Idempotent[key] = answer;
            }

            return answer;
        }
    }

    public ApiAnswer Get(string type, string id)
    {
        lock (_gate)
        {
            return Table(type).ById.TryGetValue(id, out var r) && !r.Deleted ? new ApiAnswer(200, r.ToJson(), r.Version) : ApiAnswer.Error(404, "not_found");
        }
    }

    /// <summary>Creates a record; the id comes from <paramref name="fields"/> or is generated.</summary>
    public ApiAnswer Create(string type, JsonObject fields, bool notify, bool countWrite)
    {
        lock (_gate)
        {
            var table = Table(type);
            var id = IdOf(fields);
            if (id is not null && table.ById.TryGetValue(id, out var existing) && !existing.Deleted)
            {
                return ApiAnswer.Error(409, "id_taken", existing.ToJson());
            }

            id ??= table.NewId();
            return Apply(table, type, id, fields, replaceFields: true, notify, countWrite, created: 201);
        }
    }

    /// <summary>Merges <paramref name="fields"/> into a record; creates it when missing and <paramref name="upsert"/>.</summary>
    public ApiAnswer Merge(string type, string id, JsonObject fields, string? ifMatch, bool upsert, bool notify, bool countWrite)
    {
        lock (_gate)
        {
            var table = Table(type);
            var exists = table.ById.TryGetValue(id, out var record) && !record!.Deleted;
            if (!exists && !upsert)
            {
                return ApiAnswer.Error(404, "not_found");
            }

            if (ifMatch is not null && (!exists || !Matches(ifMatch, record!.Version)))
            {
                return ApiAnswer.Error(412, "version_mismatch", exists ? record!.ToJson() : null);
            }

            return Apply(table, type, id, fields, replaceFields: !exists, notify, countWrite, created: exists ? 200 : 201);
        }
    }

    /// <summary>Deletes a record, keeping a tombstone for the change feed. A missing (or already deleted) record is 404.</summary>
    public ApiAnswer Delete(string type, string id, string? ifMatch, bool notify, bool countWrite)
    {
        lock (_gate)
        {
            var table = Table(type);
            if (!table.ById.TryGetValue(id, out var record) || record.Deleted)
            {
                return ApiAnswer.Error(404, "not_found");
            }

            if (ifMatch is not null && !Matches(ifMatch, record.Version))
            {
                return ApiAnswer.Error(412, "version_mismatch", record.ToJson());
            }

            Touch(table, record);
            record.Deleted = true;
            table.Live--;
            Finish(table, type, record, "deleted", notify, countWrite);
            return new ApiAnswer(204, null, record.Version);
        }
    }

    /// <summary>
    /// One page of a type's change order. Walks only the page (plus the skipped offset), so reading 100,000 records by
    /// cursor stays linear; <c>total</c> comes from counters unless <c>updatedSince</c> narrows it.
    /// </summary>
    public (List<JsonObject> Items, string? NextCursor, int Total) List(string type, ListQuery query)
    {
        lock (_gate)
        {
            var table = Table(type);
            var max = new ChangeKey(long.MaxValue, long.MaxValue);
            var since = new ChangeKey(query.Since?.UtcTicks ?? long.MinValue, long.MinValue);
            var from = query.After is { } after && after.CompareTo(since) >= 0 ? after with { Seq = after.Seq + 1 } : since;
            var items = new List<JsonObject>(Math.Min(query.Limit, 1024));
            StoredRecord? last = null;
            var skipped = 0;
            var more = false;
            foreach (var key in table.Order.GetViewBetween(from, max))
            {
                var record = table.ByKey[key];
                if (record.Deleted && !query.IncludeDeleted)
                {
                    continue;
                }

                if (skipped < query.Skip)
                {
                    skipped++;
                }
                else if (items.Count < query.Limit)
                {
                    items.Add(record.ToJson());
                    last = record;
                }
                else
                {
                    more = true;
                    break;
                }
            }

            var total = query.Since is null
                ? (query.IncludeDeleted ? table.Order.Count : table.Live)
                : table.Order.GetViewBetween(since, max).Count(k => query.IncludeDeleted || !table.ByKey[k].Deleted);
            return (items, more && last is not null ? last.Key.ToString() : null, total);
        }
    }

    /// <summary>Every record of a type in change order, tombstones included.</summary>
    public List<JsonObject> All(string type)
    {
        lock (_gate)
        {
            var table = Table(type);
            return [.. table.Order.Select(k => table.ByKey[k].ToJson())];
        }
    }

    private ApiAnswer Apply(RecordTable table, string type, string id, JsonObject fields, bool replaceFields, bool notify, bool countWrite, int created)
    {
        var isNew = !table.ById.TryGetValue(id, out var record);
        if (isNew)
        {
            record = new StoredRecord(id);
            table.ById[id] = record;
        }
        else
        {
            table.Order.Remove(record!.Key);
            table.ByKey.Remove(record.Key);
        }

        var wasDeleted = record!.Deleted;
        if (replaceFields)
        {
            record.Fields = [];
        }

        foreach (var (name, value) in fields)
        {
            if (!StoredRecord.MetaFields.Contains(name))
            {
                record.Fields[name] = value?.DeepClone();
            }
        }

        if (isNew || wasDeleted)
        {
            table.Live++;
        }

        record.Deleted = false;
        Touch(table, record, reindexed: true);
        Finish(table, type, record, isNew || wasDeleted ? "created" : "updated", notify, countWrite);
        return new ApiAnswer(created, record.ToJson(), record.Version);
    }

    /// <summary>Moves a record to the end of the change order with a new version and time.</summary>
    private void Touch(RecordTable table, StoredRecord record, bool reindexed = false)
    {
        if (!reindexed)
        {
            table.Order.Remove(record.Key);
            table.ByKey.Remove(record.Key);
        }

        // Millisecond precision, as the API shows it, so updatedSince=<a shown time> finds that record again.
        var now = FrozenAt ?? time.GetUtcNow();
        now = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        _last = now > _last ? now : _last;
        record.UpdatedAt = _last;
        record.Seq = ++_seq;
        record.Version++;
        table.Order.Add(record.Key);
        table.ByKey[record.Key] = record;
    }

    private void Finish(RecordTable table, string type, StoredRecord record, string kind, bool notify, bool countWrite)
    {
        if (countWrite)
        {
            table.Writes++;
        }

        if (notify)
        {
            Changed?.Invoke(new RecordChange(type, kind, record));
        }
    }

    private RecordTable Table(string type)
    {
        if (!_tables.TryGetValue(type, out var table))
        {
            table = new RecordTable();
            _tables[type] = table;
        }

        return table;
    }

    private static string? IdOf(JsonObject fields) => fields["id"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    /// <summary>Accepts <c>"3"</c>, <c>W/"3"</c> and a bare <c>3</c>.</summary>
    private static bool Matches(string ifMatch, long version)
    {
        var text = ifMatch.Trim();
        if (text == "*")
        {
            return true;
        }

        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return long.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v == version;
    }

    private sealed class RecordTable
    {
        public Dictionary<string, StoredRecord> ById { get; } = new(StringComparer.Ordinal);

        public SortedSet<ChangeKey> Order { get; } = [];

        public Dictionary<ChangeKey, StoredRecord> ByKey { get; } = [];

        public Dictionary<string, ApiAnswer> Idempotent { get; } = new(StringComparer.Ordinal);

        public string? Prefix { get; set; }

        public long Writes { get; set; }

        /// <summary>Records that are not tombstones.</summary>
        public int Live { get; set; }

        private long _next;

        public string NewId()
        {
            string id;
            do
            {
                _next++;
                id = Prefix is null ? _next.ToString(CultureInfo.InvariantCulture) : Prefix + _next.ToString("D4", CultureInfo.InvariantCulture);
            }
            while (ById.ContainsKey(id));

            return id;
        }
    }
}

/// <summary>What a list call asks for. <see cref="After"/> is the cursor; <see cref="Skip"/> the page or offset.</summary>
internal sealed record ListQuery(DateTimeOffset? Since, bool IncludeDeleted, ChangeKey? After, int Skip, int Limit);
