using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Runs;
using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

public sealed partial class SqliteStore
{
    internal const string EventColumns = "seq, id, connection, type, entity, key, subject, time, received_at, data, trace_parent, status, replays, only_flow, outcome";

    internal const string DeliveryColumns =
        "id, run_id, connection, action, payload, idempotency_key, order_key, attempts, attempt_base, next_attempt_at, trace_parent, event_received_at";

    /// <inheritdoc/>
    public Task<IReadOnlyList<StoredEvent>> ReadPendingEventsAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(_pendingEvents!.Run(afterSeq, limit));

    internal static StoredEvent ReadEvent(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : FromMs(r.GetInt64(7)), FromMs(r.GetInt64(8)), (byte[])r.GetValue(9),
        r.IsDBNull(10) ? null : r.GetString(10), (EventStatus)r.GetInt32(11), r.GetInt32(12), r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14));

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<PendingDelivery>> CompleteEventAsync(EventCompletion completion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = Ms(now);
        return await WriteAsync<IReadOnlyList<PendingDelivery>>(session =>
        {
            var updated = session.Execute(
                "UPDATE events SET status = 1, processed_at = $0, outcome = $1, only_flow = NULL WHERE seq = $2 AND status = 0",
                nowMs, completion.Outcome, completion.Seq);
            if (updated == 0)
            {
                return []; // Already processed (a racing replay or a second node): nothing to write twice.
            }

            var receivedAt = Ms(completion.ReceivedAt);
            var created = new List<PendingDelivery>();
            foreach (var run in completion.Runs)
            {
                var status = run.Status == RunStatus.Running && run.Deliveries.Count == 0 ? RunStatus.Completed : run.Status;
                var runId = (long)session.Scalar(
                    """
                    INSERT INTO runs (event_seq, flow, key, status, started_at, finished_at, steps, error, pending_deliveries)
                    VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                    """,
                    completion.Seq, run.Flow, run.Key, (int)status, nowMs, status == RunStatus.Running ? null : nowMs,
                    run.StepsJson, run.Error, run.Deliveries.Count)!;
                foreach (var d in run.Deliveries)
                {
                    var id = (long)session.Scalar(
                        """
                        INSERT INTO deliveries (run_id, event_seq, connection, action, payload, idempotency_key, order_key, trace_parent,
                                                created_at, event_received_at, next_attempt_at)
                        VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id
                        """,
                        runId, completion.Seq, d.Connection, d.Action, d.Payload, d.IdempotencyKey, d.OrderKey, d.TraceParent, nowMs, receivedAt)!;
                    created.Add(new PendingDelivery(id, runId, d.Connection, d.Action, d.Payload, d.IdempotencyKey, d.OrderKey,
                        0, 0, FromMs(nowMs), d.TraceParent, FromMs(receivedAt)));
                }
            }

            foreach (var change in completion.ChangeStates)
            {
                session.Execute(
                    "INSERT INTO change_state (flow, key, value) VALUES ($0, $1, $2) ON CONFLICT (flow, key) DO UPDATE SET value = excluded.value",
                    change.Flow, change.Key, change.Value);
            }

            session.Created.AddRange(created);
            return created;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<(bool Found, string? Value)> ReadChangeStateAsync(string flow, string key, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM change_state WHERE flow = $0 AND key = $1";
        command.Parameters.AddWithValue("$0", flow);
        command.Parameters.AddWithValue("$1", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (true, reader.IsDBNull(0) ? null : reader.GetString(0)) : (false, null);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<PendingDelivery>> ReadPendingDeliveriesAsync(long afterId, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(_pendingDeliveries!.Run(afterId, limit));

    internal static PendingDelivery ReadPendingDelivery(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.GetInt32(7), r.GetInt32(8), FromMs(r.GetInt64(9)),
        r.IsDBNull(10) ? null : r.GetString(10), FromMs(r.GetInt64(11)));

    /// <inheritdoc/>
    public async ValueTask RecordAttemptAsync(AttemptRecord attempt, CancellationToken cancellationToken)
    {
        var finishedMs = Ms(attempt.StartedAt + attempt.Duration);
        await WriteAsync(session =>
        {
            session.Execute(
                """
                INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, outcome, error, next_attempt_at)
                VALUES ($0, $1, $2, $3, $4, $5, $6, $7)
                """,
                attempt.DeliveryId, attempt.Attempt, Ms(attempt.StartedAt), attempt.Duration.TotalMilliseconds, attempt.StatusCode,
                (int)attempt.Outcome, attempt.Error, attempt.NextAttemptAt is { } n ? Ms(n) : null);
            var status = attempt.Outcome switch
            {
                AttemptOutcome.Delivered => DeliveryStatus.Delivered,
                AttemptOutcome.Dead => DeliveryStatus.Dead,
                _ => DeliveryStatus.Pending,
            };
            var changed = session.Execute(
                """
                UPDATE deliveries SET status = $0, attempts = $1, next_attempt_at = COALESCE($2, next_attempt_at),
                       delivered_at = $3, last_status = $4, last_error = $5
                WHERE id = $6 AND status = 0
                """,
                (int)status, attempt.Attempt, attempt.NextAttemptAt is { } next ? Ms(next) : null,
                status == DeliveryStatus.Delivered ? finishedMs : null, attempt.StatusCode, attempt.Error, attempt.DeliveryId);
            if (changed == 1 && status != DeliveryStatus.Pending)
            {
                // The run finishes with its last delivery; one dead letter fails it.
                session.Execute(
                    """
                    UPDATE runs SET pending_deliveries = pending_deliveries - 1,
                           status = CASE WHEN $0 = 2 OR status = 2 THEN 2 WHEN pending_deliveries - 1 <= 0 THEN 1 ELSE status END,
                           finished_at = CASE WHEN pending_deliveries - 1 <= 0 THEN $1 ELSE finished_at END,
                           error = CASE WHEN $0 = 2 AND error IS NULL THEN $2 ELSE error END
                    WHERE id = $3
                    """,
                    (int)status, finishedMs, attempt.Error is null ? null : $"delivery {attempt.DeliveryId}: {attempt.Error}", attempt.RunId);
            }

            return changed;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The newest event, run and delivery are always kept: ids are SQLite rowids, which start again at 1 in an empty
    /// table, and the pending-work readers only take ids above their cursor, so reused numbers would never be read.
    /// </remarks>
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var cutoff = Ms(before);
        return await WriteAsync(session =>
        {
            const string Old = "d.status IN (1, 3) AND d.id < (SELECT max(id) FROM deliveries) AND d.run_id IN (SELECT id FROM runs WHERE status <> 0 AND started_at < $0)";
            session.Execute($"DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d WHERE {Old})", cutoff);
            session.Execute($"DELETE FROM deliveries AS d WHERE {Old}", cutoff);
            session.Execute(
                """
                DELETE FROM runs WHERE status <> 0 AND started_at < $0 AND id < (SELECT max(id) FROM runs)
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = runs.id)
                """, cutoff);
            return session.Execute(
                """
                DELETE FROM events WHERE status = 1 AND received_at < $0 AND seq < (SELECT max(seq) FROM events)
                  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.event_seq = events.seq)
                """, cutoff);
        }).ConfigureAwait(false);
    }
}
