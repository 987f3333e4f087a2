using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Records;

namespace Isthmus.Core.Tests.Sync;

/// <summary>A clock several fake systems share, moved only by the test (so changes in different systems can share a second).</summary>
internal sealed class SharedClock
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
}

/// <summary>One change of a record as a fake system saw it: by a person (<see cref="ByUser"/>) or written through the connector.</summary>
/// <param name="Fields">The record fields the change set (all of them for a create).</param>
internal sealed record RecordChange(string System, string RecordId, bool ByUser, JsonObject Fields, long Version, DateTimeOffset UpdatedAt);

/// <summary>
/// An in-memory system of records for sync tests: integer versions, a change feed by sequence, If-Match, and a
/// queue of change notifications the test delivers (or drops, or repeats) when it likes.
/// </summary>
/// <param name="clock">A clock shared with other systems, moved by the test; without one each change moves this system's own clock a second.</param>
/// <param name="log">Where every change is appended, in the order the systems made them.</param>
internal sealed class FakeRecordSystem(string name, SharedClock? clock = null, List<RecordChange>? log = null) : IRecordConnector
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (JsonObject Fields, long Version, long Seq, bool Deleted, DateTimeOffset UpdatedAt)> _records = new(StringComparer.Ordinal);
    private long _seq;
    private long _ids;
    private DateTimeOffset _clock = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    public string Connection => name;

    /// <summary>Writes made through the connector (by the sync engine), refused ones included.</summary>
    public int Writes;

    /// <summary>Changes waiting to be delivered as notifications (record id, version) in change order.</summary>
    public List<SourceRecord> Notifications { get; } = [];

    private readonly Dictionary<string, string> _answered = new(StringComparer.Ordinal);


    /// <summary>When set, a write it answers with an exception is refused with it.</summary>
    public Func<RecordWrite, Exception?>? Refuse { get; set; }

    /// <summary>Every notification this system ever queued, delivered or not (for redelivering old ones late).</summary>
    public List<SourceRecord> Sent { get; } = [];

    public DateTimeOffset Clock
    {
        get => clock?.Now ?? _clock;
        set
        {
            if (clock is null)
            {
                _clock = value;
            }
            else
            {
                clock.Now = value;
            }
        }
    }

    /// <summary>Writes refused for a stale version (412).</summary>
    public int Refused { get; private set; }

    /// <summary>Writes still to refuse with a transient failure (a 503) before writes succeed again.</summary>
    public int FailNextWrites { get; set; }

    /// <summary>Refuse a stale write without the current record (as a bare 412 does), so the engine has to read it again.</summary>
    public bool ConflictWithoutCurrent { get; set; }

    /// <summary>Records the change feed leaves out although they exist (a feed that lags behind its latest changes).</summary>
    public HashSet<string> HiddenFromFeed { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs once, before the next read of the change feed (to let time pass between reads, as a slow system does).</summary>
    public Func<Task>? BeforeRead { get; set; }

    /// <summary>When set, reading the change feed fails with it (the system is down).</summary>
    public Exception? ReadFailure { get; set; }
    /// <summary>The idempotency key of every write, in order.</summary>
    public List<string> IdempotencyKeys { get; } = [];

    /// <summary>Other record types of the same connection, each held by a system of its own (this one holds every other type).</summary>
    public Dictionary<string, FakeRecordSystem> RecordTypes { get; } = new(StringComparer.Ordinal);


    /// <summary>A person edits the record in the system itself.</summary>
    public SourceRecord Edit(string id, JsonObject fields)
    {
        lock (_gate)
        {
            var merged = _records.TryGetValue(id, out var r) && !r.Deleted ? (JsonObject)r.Fields.DeepClone() : [];
            foreach (var (k, v) in fields)
            {
                merged[k] = v?.DeepClone();
            }

            return Store(id, merged, r.Version + 1, fields, byUser: true);
        }
    }

    public void Delete(string id)
    {
        lock (_gate)
        {
            var r = _records[id];
            _records[id] = (r.Fields, r.Version + 1, ++_seq, true, Clock);
            Notify(Snapshot(id));
        }
    }

    /// <summary>A deleted record is restored as it was (a recycle bin): a new version, the same fields.</summary>
    public SourceRecord Restore(string id)
    {
        lock (_gate)
        {
            var r = _records[id];
            return Store(id, (JsonObject)r.Fields.DeepClone(), r.Version + 1, [], byUser: true);
        }
    }

    public JsonObject? Fields(string id)
    {
        lock (_gate)
        {
            return _records.TryGetValue(id, out var r) && !r.Deleted ? (JsonObject)r.Fields.DeepClone() : null;
        }
    }

    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_gate)
            {
                return _records.Where(r => !r.Value.Deleted).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    public async ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken)
    {
        if (RecordTypes.TryGetValue(recordType, out var other))
        {
            return await other.ReadChangesAsync(recordType, cursor, limit, cancellationToken);
        }

        if (ReadFailure is { } failure)
        {
            throw failure;
        }

        if (BeforeRead is { } before)
        {
            BeforeRead = null;
            await before();
        }

        lock (_gate)
        {
            var after = cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture);
            var changed = _records.Where(r => r.Value.Seq > after && (cursor is not null || !r.Value.Deleted) && !HiddenFromFeed.Contains(r.Key)).OrderBy(r => r.Value.Seq).ToList();
            var page = changed.Take(limit).Select(r => Snapshot(r.Key)).ToList();
            var last = page.Count > 0 ? _records[page[^1].Id].Seq : after;
            return new RecordPage(page, last.ToString(CultureInfo.InvariantCulture), changed.Count > limit);
        }
    }

    public ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken)
    {
        if (RecordTypes.TryGetValue(recordType, out var other))
        {
            return other.GetAsync(recordType, id, cancellationToken);
        }

        lock (_gate)
        {
            return ValueTask.FromResult(_records.TryGetValue(id, out var r) && !r.Deleted ? Snapshot(id) : null);
        }
    }

    public ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken)
    {
        if (RecordTypes.TryGetValue(recordType, out var other))
        {
            return other.WriteAsync(recordType, write, cancellationToken);
        }

        lock (_gate)
        {
            IdempotencyKeys.Add(write.IdempotencyKey);
            // Like a real system, a repeated idempotency key gets the first answer again and changes nothing.
            if (_answered.TryGetValue(write.IdempotencyKey, out var first))
            {
                return ValueTask.FromResult(Snapshot(first));
            }

            Writes++;
            if (Refuse?.Invoke(write) is { } refused)
            {
                throw refused;
            }

            if (FailNextWrites > 0)
            {
                FailNextWrites--;
                throw new ConnectorException($"{name} is unavailable (503)", FailureKind.Transient, statusCode: 503);
            }

            var id = write.Id ?? $"{name}-{++_ids}";
            var exists = _records.TryGetValue(id, out var r) && !r.Deleted;
            if (write.ExpectedVersion is not null && !exists)
            {
                throw new RecordConflictException($"{id} does not exist (any more)", null); // as an If-Match on a missing resource: 412
            }

            if (write.ExpectedVersion is { } expected && expected != r.Version.ToString(CultureInfo.InvariantCulture))
            {
                Refused++;
                throw new RecordConflictException($"{id} is at version {r.Version}, not {expected}", ConflictWithoutCurrent ? null : Snapshot(id));
            }

            _answered[write.IdempotencyKey] = id; // failed answers are not remembered
            var merged = exists ? (JsonObject)r.Fields.DeepClone() : [];
            foreach (var (k, v) in write.Fields)
            {
                merged[k] = v?.DeepClone();
            }

            return ValueTask.FromResult(Store(id, merged, (exists ? r.Version : 0) + 1, write.Fields, byUser: false));
        }
    }

    public ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken)
    {
        if (RecordTypes.TryGetValue(recordType, out var other))
        {
            return other.DeleteAsync(recordType, id, expectedVersion, cancellationToken);
        }

        lock (_gate)
        {
            Writes++;
            if (_records.TryGetValue(id, out var r) && !r.Deleted)
            {
                _records[id] = (r.Fields, r.Version + 1, ++_seq, true, Clock);
                Notify(Snapshot(id));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private SourceRecord Store(string id, JsonObject fields, long version, JsonObject changed, bool byUser)
    {
        if (clock is null)
        {
            _clock = _clock.AddSeconds(1);
        }

        fields["id"] = id;
        _records[id] = (fields, version, ++_seq, false, Clock);
        log?.Add(new RecordChange(name, id, byUser, (JsonObject)changed.DeepClone(), version, Clock));
        var snapshot = Snapshot(id);
        Notify(snapshot);
        return snapshot;
    }

    private void Notify(SourceRecord snapshot)
    {
        Notifications.Add(snapshot);
        Sent.Add(snapshot);
    }

    private SourceRecord Snapshot(string id)
    {
        var r = _records[id];
        return new SourceRecord(id, (JsonObject)r.Fields.DeepClone(), r.Version.ToString(CultureInfo.InvariantCulture), r.UpdatedAt, r.Deleted);
    }
}

/// <summary>Hands out <see cref="FakeRecordSystem"/>s as connections of kind <c>fake</c>.</summary>
internal sealed class FakeRecordFactory(IReadOnlyDictionary<string, FakeRecordSystem> systems) : IConnectorFactory
{
    public string Kind => "fake";

    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => systems[settings.Name];
}
