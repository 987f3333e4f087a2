using System.Text;
using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Runs;
using Microsoft.Data.Sqlite;
using static Isthmus.Storage.Sqlite.SqliteStore;

namespace Isthmus.Storage.Sqlite;

/// <summary>Listings and manual actions. Reads use pooled connections; changes go through the single writer.</summary>
internal sealed class SqliteStoreAdmin(SqliteStore store) : IStoreAdmin
{
    private const string RunColumns = "id, event_seq, flow, key, status, started_at, finished_at, steps, error, pending_deliveries";

    private const string DeliveryViewColumns =
        "id, run_id, event_seq, connection, action, payload, idempotency_key, status, attempts, created_at, next_attempt_at, delivered_at, last_status, last_error";

    public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery q, CancellationToken cancellationToken)
    {
        var where = new Filter()
            .Add("connection = {0}", q.Connection).Add("type = {0}", q.Type).Add("key = {0}", q.Key)
            .Add("status = {0}", q.Status is { } s ? (int)s : null).Add("seq < {0}", q.BeforeSeq);
        return QueryAsync($"SELECT {EventColumns} FROM events{where} ORDER BY seq DESC LIMIT {Clamp(q.Limit)}", ReadEvent, where.Args, cancellationToken);
    }

    public async Task<StoredEvent?> GetEventAsync(long seq, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {EventColumns} FROM events WHERE seq = $0", ReadEvent, [seq], cancellationToken).ConfigureAwait(false)) is [var first, ..] ? first : null;

    public Task<IReadOnlyList<RunView>> ListRunsAsync(RunQuery q, CancellationToken cancellationToken)
    {
        var where = new Filter()
            .Add("flow = {0}", q.Flow).Add("status = {0}", q.Status is { } s ? (int)s : null)
            .Add("event_seq = {0}", q.EventSeq).Add("id < {0}", q.BeforeId);
        return QueryAsync($"SELECT {RunColumns} FROM runs{where} ORDER BY id DESC LIMIT {Clamp(q.Limit)}", ReadRun, where.Args, cancellationToken);
    }

    public async Task<RunView?> GetRunAsync(long id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {RunColumns} FROM runs WHERE id = $0", ReadRun, [id], cancellationToken).ConfigureAwait(false)) is [var first, ..] ? first : null;

    public Task<IReadOnlyList<DeliveryView>> ListDeliveriesAsync(DeliveryQuery q, CancellationToken cancellationToken)
    {
        var where = new Filter()
            .Add("connection = {0}", q.Connection).Add("status = {0}", q.Status is { } s ? (int)s : null)
            .Add("run_id = {0}", q.RunId).Add("id < {0}", q.BeforeId);
        return QueryAsync($"SELECT {DeliveryViewColumns} FROM deliveries{where} ORDER BY id DESC LIMIT {Clamp(q.Limit)}", ReadDelivery, where.Args, cancellationToken);
    }

    public async Task<DeliveryView?> GetDeliveryAsync(long id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {DeliveryViewColumns} FROM deliveries WHERE id = $0", ReadDelivery, [id], cancellationToken).ConfigureAwait(false)) is [var first, ..] ? first : null;

    public Task<IReadOnlyList<AttemptRecord>> ListAttemptsAsync(long deliveryId, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT a.delivery_id, d.run_id, a.attempt, a.started_at, a.duration_ms, a.status_code, a.outcome, a.error, a.next_attempt_at " +
            "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = $0 ORDER BY a.attempt",
            r => new AttemptRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), FromMs(r.GetInt64(3)), TimeSpan.FromMilliseconds(r.GetDouble(4)),
                r.IsDBNull(5) ? null : r.GetInt32(5), (AttemptOutcome)r.GetInt32(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : FromMs(r.GetInt64(8))),
            [deliveryId], cancellationToken);

    public Task<bool> ReplayEventAsync(long seq, string? onlyFlow, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute(
            "UPDATE events SET status = 0, replays = replays + 1, only_flow = $1 WHERE seq = $0 AND status = 1", seq, onlyFlow) == 1);

    public Task<PendingDelivery?> ReplayDeliveryAsync(long id, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.WriteAsync(s =>
        {
            var runId = s.Scalar("SELECT run_id FROM deliveries WHERE id = $0 AND status = 2", id);
            if (runId is not long run)
            {
                return null;
            }

            // A fresh set of attempts; attempt numbers keep counting so the history stays readable.
            s.Execute("UPDATE deliveries SET status = 0, attempt_base = attempts, next_attempt_at = $1, last_error = NULL WHERE id = $0", id, Ms(now));
            s.Execute("UPDATE runs SET status = 0, pending_deliveries = pending_deliveries + 1, finished_at = NULL, error = NULL WHERE id = $0", run);
            using var reader = s.Query(
                $"SELECT {DeliveryColumns} FROM deliveries WHERE id = $0", id);
            reader.Read();
            return (PendingDelivery?)ReadPendingDelivery(reader);
        });

    public Task<bool> DiscardDeliveryAsync(long id, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute("UPDATE deliveries SET status = 3 WHERE id = $0 AND status = 2", id) == 1);

    public async Task<IReadOnlyDictionary<string, bool>> ReadFlowOverridesAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT flow, enabled FROM flow_overrides", r => (r.GetString(0), r.GetInt32(1) == 1), [], cancellationToken).ConfigureAwait(false))
        .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    public Task SetFlowOverrideAsync(string flow, bool enabled, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute(
            "INSERT INTO flow_overrides (flow, enabled) VALUES ($0, $1) ON CONFLICT (flow) DO UPDATE SET enabled = excluded.enabled", flow, enabled ? 1 : 0));

    public async Task<StoreCounts> CountAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            """
            SELECT (SELECT COUNT(*) FROM events WHERE status = 0),
                   (SELECT COUNT(*) FROM deliveries WHERE status = 0),
                   (SELECT COUNT(*) FROM deliveries WHERE status = 2),
                   (SELECT COUNT(*) FROM runs WHERE status = 0),
                   (SELECT MIN(received_at) FROM events WHERE status = 0),
                   (SELECT MIN(created_at) FROM deliveries WHERE status = 0)
            """,
            r => new StoreCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3),
                r.IsDBNull(4) ? null : FromMs(r.GetInt64(4)), r.IsDBNull(5) ? null : FromMs(r.GetInt64(5))),
            [], cancellationToken).ConfigureAwait(false);
        return rows[0];
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(CancellationToken cancellationToken) =>
        QueryAsync("SELECT id, name, role, hash, created_at FROM api_keys ORDER BY created_at",
            r => new ApiKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), FromMs(r.GetInt64(4))), [], cancellationToken);

    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute("INSERT INTO api_keys (id, name, role, hash, created_at) VALUES ($0, $1, $2, $3, $4)",
            key.Id, key.Name, key.Role, key.Hash, Ms(key.CreatedAt)));

    public Task<bool> DeleteApiKeyAsync(string id, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute("DELETE FROM api_keys WHERE id = $0", id) == 1);

    public Task AuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute("INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($0, $1, $2, $3, $4)",
            Ms(entry.At), entry.Actor, entry.Action, entry.Target, entry.Detail));

    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT {Clamp(limit)}",
            r => new AuditEntry(FromMs(r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4)),
            [], cancellationToken);

    public Task<IReadOnlyList<IdentityRecord>> ListIdentitiesAsync(string? connection, int limit, CancellationToken cancellationToken)
    {
        var where = new Filter().Add("connection = {0}", connection);
        return QueryAsync($"SELECT connection, kind, value, user_id, source, updated_at FROM identities{where} ORDER BY updated_at DESC LIMIT {Clamp(limit)}",
            r => new IdentityRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), FromMs(r.GetInt64(5))),
            where.Args, cancellationToken);
    }

    public async Task<string?> FindIdentityAsync(string connection, string kind, string value, CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT user_id FROM identities WHERE connection = $0 AND kind = $1 AND value = $2", r => r.GetString(0),
            [connection, kind, value], cancellationToken).ConfigureAwait(false)) is [var id, ..] ? id : null;

    public Task SaveIdentityAsync(IdentityRecord i, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute(
            "INSERT INTO identities (connection, kind, value, user_id, source, updated_at) VALUES ($0, $1, $2, $3, $4, $5) " +
            "ON CONFLICT (connection, kind, value) DO UPDATE SET user_id = excluded.user_id, source = excluded.source, updated_at = excluded.updated_at",
            i.Connection, i.Kind, i.Value, i.UserId, i.Source, Ms(i.UpdatedAt)));

    public Task<bool> DeleteIdentityAsync(string connection, string kind, string value, CancellationToken cancellationToken) =>
        store.WriteAsync(s => s.Execute("DELETE FROM identities WHERE connection = $0 AND kind = $1 AND value = $2", connection, kind, value) == 1);

    private static RunView ReadRun(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), (RunStatus)r.GetInt32(4),
        FromMs(r.GetInt64(5)), r.IsDBNull(6) ? null : FromMs(r.GetInt64(6)), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetInt32(9));

    private static DeliveryView ReadDelivery(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), r.GetString(4), Encoding.UTF8.GetString((byte[])r.GetValue(5)),
        r.GetString(6), (DeliveryStatus)r.GetInt32(7), r.GetInt32(8), FromMs(r.GetInt64(9)),
        (DeliveryStatus)r.GetInt32(7) == DeliveryStatus.Pending ? FromMs(r.GetInt64(10)) : null,
        r.IsDBNull(11) ? null : FromMs(r.GetInt64(11)), r.IsDBNull(12) ? null : r.GetInt32(12), r.IsDBNull(13) ? null : r.GetString(13));

    private static int Clamp(int limit) => Math.Clamp(limit, 1, 1000);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read, List<object> args, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Count; i++)
        {
            command.Parameters.AddWithValue("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), args[i]);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Builds a WHERE clause from the filters that are set, with numbered parameters.</summary>
    private sealed class Filter
    {
        private readonly List<string> _clauses = [];

        public List<object> Args { get; } = [];

        public Filter Add(string clause, object? value)
        {
            if (value is not null)
            {
                _clauses.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, clause, "$" + Args.Count));
                Args.Add(value);
            }

            return this;
        }

        public override string ToString() => _clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", _clauses);
    }
}
