using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Records;

namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// An in-memory system of records for sync tests: integer versions, a change feed by sequence, If-Match, and a
/// queue of change notifications the test delivers (or drops, or repeats) when it likes.
/// </summary>
internal sealed class FakeRecordSystem(string name) : IRecordConnector
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (JsonObject Fields, long Version, long Seq, bool Deleted)> _records = new(StringComparer.Ordinal);
    private long _seq;
    private long _ids;

    public string Connection => name;

    /// <summary>Writes made through the connector (by the sync engine).</summary>
    public int Writes;

    /// <summary>Changes waiting to be delivered as notifications (record id, version) in change order.</summary>
    public List<SourceRecord> Notifications { get; } = [];

    /// <summary>The idempotency key of every write, in order.</summary>
    public List<string> IdempotencyKeys { get; } = [];

    public DateTimeOffset Clock { get; set; } = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

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

            return Store(id, merged, r.Version + 1);
        }
    }

    public void Delete(string id)
    {
        lock (_gate)
        {
            var r = _records[id];
            _records[id] = (r.Fields, r.Version + 1, ++_seq, true);
            Notifications.Add(Snapshot(id));
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

    public ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var after = cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture);
            var changed = _records.Where(r => r.Value.Seq > after && (cursor is not null || !r.Value.Deleted)).OrderBy(r => r.Value.Seq).ToList();
            var page = changed.Take(limit).Select(r => Snapshot(r.Key)).ToList();
            var last = page.Count > 0 ? _records[page[^1].Id].Seq : after;
            return ValueTask.FromResult(new RecordPage(page, last.ToString(CultureInfo.InvariantCulture), changed.Count > limit));
        }
    }

    public ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_records.TryGetValue(id, out var r) && !r.Deleted ? Snapshot(id) : null);
        }
    }

    public ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Writes++;
            IdempotencyKeys.Add(write.IdempotencyKey);
            var id = write.Id ?? $"{name}-{++_ids}";
            var exists = _records.TryGetValue(id, out var r) && !r.Deleted;
            if (write.ExpectedVersion is { } expected && exists && expected != r.Version.ToString(CultureInfo.InvariantCulture))
            {
                throw new RecordConflictException($"{id} is at version {r.Version}, not {expected}", Snapshot(id));
            }

            var merged = exists ? (JsonObject)r.Fields.DeepClone() : [];
            foreach (var (k, v) in write.Fields)
            {
                merged[k] = v?.DeepClone();
            }

            return ValueTask.FromResult(Store(id, merged, (exists ? r.Version : 0) + 1));
        }
    }

    public ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Writes++;
            if (_records.TryGetValue(id, out var r) && !r.Deleted)
            {
                _records[id] = (r.Fields, r.Version + 1, ++_seq, true);
                Notifications.Add(Snapshot(id));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private SourceRecord Store(string id, JsonObject fields, long version)
    {
        Clock = Clock.AddSeconds(1);
        fields["id"] = id;
        _records[id] = (fields, version, ++_seq, false);
        var snapshot = Snapshot(id);
        Notifications.Add(snapshot);
        return snapshot;
    }

    private SourceRecord Snapshot(string id)
    {
        var r = _records[id];
        return new SourceRecord(id, (JsonObject)r.Fields.DeepClone(), r.Version.ToString(CultureInfo.InvariantCulture), Clock, r.Deleted);
    }
}

/// <summary>Hands out <see cref="FakeRecordSystem"/>s as connections of kind <c>fake</c>.</summary>
internal sealed class FakeRecordFactory(IReadOnlyDictionary<string, FakeRecordSystem> systems) : IConnectorFactory
{
    public string Kind => "fake";

    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => systems[settings.Name];
}
