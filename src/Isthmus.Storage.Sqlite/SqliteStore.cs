using Isthmus.Connectors;
using Isthmus.Events;
using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, one writer with group commit, pooled readers.
/// </summary>
public sealed partial class SqliteStore : IStore
{
    private readonly string _connectionString;
    private readonly bool _fullSync;
    private SqliteConnection? _writerConnection;
    private GroupCommitWriter? _writer;
    private PreparedQuery<StoredEvent>? _pendingEvents;
    private PreparedQuery<Deliveries.PendingDelivery>? _pendingDeliveries;
    private volatile Action<IReadOnlyList<StoredEvent>>? _eventsCommitted;
    private volatile Action<IReadOnlyList<Deliveries.PendingDelivery>>? _deliveriesCommitted;

    /// <summary>Opens (creating when missing) the store at <paramref name="path"/>.</summary>
    /// <param name="synchronous"><c>full</c>: fsync at every group commit (survives power loss); <c>normal</c>: survives a process crash.</param>
    public SqliteStore(string path, string synchronous = "full")
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _fullSync = !string.Equals(synchronous, "normal", StringComparison.OrdinalIgnoreCase);
        Admin = new SqliteStoreAdmin(this);
    }

    /// <inheritdoc/>
    public IStoreAdmin Admin { get; }

    private GroupCommitWriter Writer => _writer ?? throw new InvalidOperationException("Call InitializeAsync first.");

    /// <inheritdoc/>
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Pragma(connection, "PRAGMA journal_mode=WAL");
        Pragma(connection, _fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        Pragma(connection, "PRAGMA busy_timeout=30000");
        Pragma(connection, "PRAGMA foreign_keys=OFF");
        Migrations.Apply(connection);
        _writerConnection = connection;
        _writer = new GroupCommitWriter(connection, Committed);
        _pendingEvents = new PreparedQuery<StoredEvent>(OpenReader(),
            $"SELECT {EventColumns} FROM events WHERE status = 0 AND seq > $0 ORDER BY seq LIMIT $1", ReadEvent, "$0", "$1");
        _pendingDeliveries = new PreparedQuery<Deliveries.PendingDelivery>(OpenReader(),
            $"SELECT {DeliveryColumns} FROM deliveries WHERE status = 0 AND id > $0 ORDER BY id LIMIT $1", ReadPendingDelivery, "$0", "$1");
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public bool WatchCommits(Action<IReadOnlyList<StoredEvent>> events, Action<IReadOnlyList<Deliveries.PendingDelivery>> deliveries)
    {
        _eventsCommitted = events;
        _deliveriesCommitted = deliveries;
        return true;
    }

    private void Committed(WriteSession session)
    {
        if (session.Appended.Count > 0)
        {
            _eventsCommitted?.Invoke(session.Appended);
        }

        if (session.Created.Count > 0)
        {
            _deliveriesCommitted?.Invoke(session.Created);
        }
    }

    /// <summary>A pooled read connection (WAL lets readers run beside the writer).</summary>
    internal SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    internal Task<T> WriteAsync<T>(Func<WriteSession, T> work) => Writer.WriteAsync(work);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        _pendingEvents?.Dispose();
        _pendingDeliveries?.Dispose();
        if (_writerConnection is not null)
        {
            await _writerConnection.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static void Pragma(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public async ValueTask<AppendResult> AppendEventAsync(string connection, EventDraft draft, DateTimeOffset receivedAt, string? traceParent, CancellationToken cancellationToken)
    {
        var data = draft.Data.ToArray();
        return await WriteAsync(session =>
        {
            var seq = session.Scalar(
                """
                INSERT INTO events (id, connection, type, entity, key, subject, time, received_at, data, trace_parent, dedup_key)
                VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (connection, dedup_key) DO NOTHING
                RETURNING seq
                """,
                draft.Id, connection, draft.Type, draft.Entity, draft.Key, draft.Subject,
                draft.Time is { } t ? Ms(t) : null, Ms(receivedAt), data, traceParent, draft.EffectiveDedupKey);
            if (seq is long inserted)
            {
                // Exactly what reading the row back would give (times at the store's millisecond precision).
                session.Appended.Add(new StoredEvent(inserted, draft.Id, connection, draft.Type, draft.Entity, draft.Key, draft.Subject,
                    draft.Time is { } time ? FromMs(Ms(time)) : null, FromMs(Ms(receivedAt)), data, traceParent, EventStatus.Pending, 0, null));
                return new AppendResult(inserted, false);
            }

            var existing = (long)session.Scalar("SELECT seq FROM events WHERE connection = $0 AND dedup_key = $1", connection, draft.EffectiveDedupKey)!;
            return new AppendResult(existing, true);
        }).ConfigureAwait(false);
    }
}
