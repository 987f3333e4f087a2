using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Mappings;
using Isthmus.Sync;
using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

/// <summary>Two-way sync state. Id lists travel as one JSON array parameter (<c>json_each</c>), so each query stays one prepared statement.</summary>
public sealed partial class SqliteStore : ISyncStore
{
    private const string LinkColumns = "entity, id, connection, record_type, record_id, record_version, record_updated_at, base, pending, outstanding, source, linked_at, synced_at, origins";
    private const string WriteColumns = "w.id, w.entity, w.entity_id, w.connection, w.record_type, w.op, w.record_id, w.vals, w.payload, w.attempts, w.next_at, w.last_error";

    /// <summary>The sync state kept in this store.</summary>
    public ISyncStore Sync => this;

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> LinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken) =>
        // INDEXED BY: without statistics SQLite prefers the primary key's entity prefix, a scan of every link of the entity.
        ReadAsync($"SELECT {LinkColumns} FROM sync_links INDEXED BY sync_links_record WHERE entity = $0 AND connection = $1 AND record_type = $2 AND record_id IN (SELECT value FROM json_each($3))",
            ReadLink, cancellationToken, entity, connection, recordType, JsonSerializer.Serialize(recordIds));

    /// <inheritdoc/>
    public Task<IReadOnlyList<(LinkState Link, EntityState? Entity)>> ComparisonAsync(string entity, string connection, string recordType,
        IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken) =>
        ReadAsync(
            """
            SELECT l.entity, l.id, l.connection, l.record_type, l.record_id, l.record_version, l.record_updated_at, l.outstanding, l.source, l.linked_at, l.synced_at,
                   e.fields, e.deleted, e.version, e.updated_at
            FROM sync_links l INDEXED BY sync_links_record LEFT JOIN sync_entities e ON e.entity = l.entity AND e.id = l.id
            WHERE l.entity = $0 AND l.connection = $1 AND l.record_type = $2 AND l.record_id IN (SELECT value FROM json_each($3))
            """,
            r => (new LinkState(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3))
            {
                RecordId = r.IsDBNull(4) ? null : r.GetString(4),
                RecordVersion = r.IsDBNull(5) ? null : r.GetString(5),
                RecordUpdatedAt = r.IsDBNull(6) ? null : FromMs(r.GetInt64(6)),
                Outstanding = r.GetInt32(7),
                Source = r.GetString(8),
                LinkedAt = FromMs(r.GetInt64(9)),
                SyncedAt = FromMs(r.GetInt64(10)),
            }, r.IsDBNull(11) ? null : new EntityState(r.GetString(0), r.GetString(1))
            {
                Fields = Values(Utf8(r, 11)),
                Deleted = r.GetInt32(12) == 1,
                Version = r.GetInt64(13),
                UpdatedAt = FromMs(r.GetInt64(14)),
            }),
            cancellationToken, entity, connection, recordType, JsonSerializer.Serialize(recordIds));

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> DeletedLinksByRecordAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> recordIds,
        CancellationToken cancellationToken) =>
        ReadAsync(
            """
            SELECT entity, id, connection, record_type, record_id, record_version, record_updated_at, base, '{}', 0, source, linked_at, deleted_at, origins
            FROM sync_deleted_links WHERE entity = $0 AND connection = $1 AND record_type = $2 AND record_id IN (SELECT value FROM json_each($3))
            """,
            ReadLink, cancellationToken, entity, connection, recordType, JsonSerializer.Serialize(recordIds));

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> LinksOfAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {LinkColumns} FROM sync_links WHERE entity = $0 AND id IN (SELECT value FROM json_each($1))",
            ReadLink, cancellationToken, entity, JsonSerializer.Serialize(entityIds));

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> LinksToAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {LinkColumns} FROM sync_links WHERE entity = $0 AND id IN (SELECT value FROM json_each($1)) AND connection = $2 AND record_type = $3",
            ReadLink, cancellationToken, entity, JsonSerializer.Serialize(entityIds), connection, recordType);

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> CreatingLinksAsync(string entity, string connection, string recordType, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {LinkColumns} FROM sync_links INDEXED BY sync_links_creating WHERE entity = $0 AND connection = $1 AND record_type = $2 AND record_id IS NULL LIMIT 10000",
            ReadLink, cancellationToken, entity, connection, recordType);

    /// <inheritdoc/>
    public Task<IReadOnlyList<EntityState>> EntitiesAsync(string entity, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        ReadAsync("SELECT entity, id, fields, origins, deleted, version, updated_at FROM sync_entities WHERE entity = $0 AND id IN (SELECT value FROM json_each($1))",
            ReadEntity, cancellationToken, entity, JsonSerializer.Serialize(ids));

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, string>> MatchAsync(string entity, IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT key, id FROM sync_match WHERE entity = $0 AND key IN (SELECT value FROM json_each($1))",
            r => (r.GetString(0), r.GetString(1)), cancellationToken, entity, JsonSerializer.Serialize(keys)).ConfigureAwait(false))
        .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncConflict>> OpenConflictsAsync(string entity, IReadOnlyCollection<string> entityIds, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {ConflictColumns} FROM sync_conflicts WHERE open = 1 AND entity = $0 AND entity_id IN (SELECT value FROM json_each($1))",
            ReadConflict, cancellationToken, entity, JsonSerializer.Serialize(entityIds));

    /// <inheritdoc/>
    public async Task<string?> CursorAsync(string entity, string connection, string recordType, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT cursor FROM sync_cursors WHERE entity = $0 AND connection = $1 AND record_type = $2",
            r => r.IsDBNull(0) ? null : r.GetString(0), cancellationToken, entity, connection, recordType).ConfigureAwait(false)) is [var first, ..] ? first : null;

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        DueWritesAsync(connection, now, limit, [], cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncWrite>> DueWritesAsync(string connection, DateTimeOffset now, int limit, IReadOnlyCollection<long> except, CancellationToken cancellationToken) =>
        // Only the oldest write of each link is due: later ones wait, so a record receives its writes in order. The queue is
        // walked in id order and stops at the limit, so a batch costs about its own size even with 100,000 writes queued.
        // Writes left out are skipped here rather than read and parsed only to be dropped.
        ReadAsync(
            $"""
            SELECT {WriteColumns}, l.record_id, l.record_version, w.origins FROM sync_writes w INDEXED BY sync_writes_queue
            LEFT JOIN sync_links l ON l.entity = w.entity AND l.id = w.entity_id AND l.connection = w.connection AND l.record_type = w.record_type
            WHERE w.connection = $0 AND w.next_at <= $1 AND w.id NOT IN (SELECT value FROM json_each($3))
              AND w.id = (SELECT MIN(o.id) FROM sync_writes o WHERE o.entity = w.entity AND o.entity_id = w.entity_id AND o.connection = w.connection AND o.record_type = w.record_type)
            ORDER BY w.id LIMIT $2
            """,
            r => ReadWrite(r) with { RecordId = r.IsDBNull(12) ? (r.IsDBNull(6) ? null : r.GetString(6)) : r.GetString(12) },
            cancellationToken, connection, Ms(now), limit, JsonSerializer.Serialize(except));

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncWrite>> QueuedWritesAsync(string entity, IReadOnlyCollection<string> entityIds, string? connection, CancellationToken cancellationToken) =>
        ReadAsync(
            $"""
            SELECT {WriteColumns}, NULL, NULL, w.origins FROM sync_writes w INDEXED BY sync_writes_link
            WHERE w.entity = $0 AND w.entity_id IN (SELECT value FROM json_each($1)) AND ($2 IS NULL OR w.connection = $2)
            ORDER BY w.id
            """,
            ReadWrite, cancellationToken, entity, JsonSerializer.Serialize(entityIds), connection);

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncError>> OpenWriteErrorsAsync(string entity, string connection, string recordType, IReadOnlyCollection<string> entityIds,
        CancellationToken cancellationToken) =>
        ReadAsync(
            $"""
            SELECT {ErrorColumns} FROM sync_errors
            WHERE open = 1 AND entity = $0 AND connection = $1 AND record_type = $2 AND kind IN ('out', 'write') AND entity_id IN (SELECT value FROM json_each($3))
            ORDER BY id DESC
            """,
            ReadError, cancellationToken, entity, connection, recordType, JsonSerializer.Serialize(entityIds));

    /// <inheritdoc/>
    public Task CommitAsync(SyncCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (commit.IsEmpty)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(session =>
        {
            // The statements run once per row go through prepared statements bound by position (WriteStatement); the rest,
            // rare, through Execute.
            foreach (var (entity, keys) in commit.Entities)
            {
                session.Statement("INSERT OR REPLACE INTO sync_entities (entity, id, fields, origins, deleted, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .Text(entity.Entity).Text(entity.Id).Json(writer => WriteValues(writer, entity.Fields)).Json(writer => WriteOrigins(writer, entity.Origins, null))
                    .Integer(entity.Deleted ? 1 : 0).Integer(entity.Version).Integer(Ms(entity.UpdatedAt)).Run();
                session.Statement("DELETE FROM sync_match WHERE entity = ? AND id = ?").Text(entity.Entity).Text(entity.Id).Run();
                foreach (var key in keys)
                {
                    // A deleted entity keeps its keys (a record matching it revives it), but gives them up to a live entity.
                    session.Statement(entity.Deleted ? "INSERT OR IGNORE INTO sync_match (entity, key, id) VALUES (?, ?, ?)" : MatchLive)
                        .Text(entity.Entity).Text(key).Text(entity.Id).Run();
                }
            }

            foreach (var link in commit.Unlinks)
            {
                session.Execute("DELETE FROM sync_links WHERE entity = $0 AND id = $1 AND connection = $2 AND record_type = $3",
                    link.Entity, link.EntityId, link.Connection, link.RecordType);
            }

            foreach (var (entity, connection, recordType, recordId) in commit.ForgottenDeletedLinks)
            {
                session.Execute("DELETE FROM sync_deleted_links WHERE entity = $0 AND connection = $1 AND record_type = $2 AND record_id = $3", entity, connection, recordType, recordId);
            }

            foreach (var link in commit.DeletedLinks)
            {
                session.Statement(
                    "INSERT OR REPLACE INTO sync_deleted_links (entity, id, connection, record_type, record_id, record_version, record_updated_at, base, source, linked_at, deleted_at, origins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .Text(link.Entity).Text(link.EntityId).Text(link.Connection).Text(link.RecordType).Text(link.RecordId).Text(link.RecordVersion)
                    .Integer(link.RecordUpdatedAt is { } u ? Ms(u) : null).Json(writer => WriteValues(writer, link.Base)).Text(link.Source).Integer(Ms(link.LinkedAt))
                    .Integer(Ms(link.SyncedAt)).Json(LinkOrigins(link)).Run();
            }

            foreach (var link in commit.Links)
            {
                session.Statement($"INSERT OR REPLACE INTO sync_links ({LinkColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .Text(link.Entity).Text(link.EntityId).Text(link.Connection).Text(link.RecordType).Text(link.RecordId).Text(link.RecordVersion)
                    .Integer(link.RecordUpdatedAt is { } u ? Ms(u) : null).Json(writer => WriteValues(writer, link.Base)).Json(writer => WriteValues(writer, link.Pending))
                    .Integer(link.Outstanding).Text(link.Source).Integer(Ms(link.LinkedAt)).Integer(Ms(link.SyncedAt)).Json(LinkOrigins(link)).Run();
            }

            // Cleared first: writes planned in this same step replace the ones they supersede.
            foreach (var (entity, id, connection, recordType) in commit.ClearedWrites)
            {
                session.Execute("DELETE FROM sync_writes WHERE entity = $0 AND entity_id = $1 AND connection = $2 AND record_type = $3", entity, id, connection, recordType);
            }

            foreach (var id in commit.RemovedWrites)
            {
                session.Statement("DELETE FROM sync_writes WHERE id = ?").Integer(id).Run();
            }

            foreach (var w in commit.NewWrites)
            {
                session.Statement(
                    "INSERT INTO sync_writes (entity, entity_id, connection, record_type, op, record_id, vals, payload, attempts, next_at, created_at, origins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")
                    .Text(w.Entity).Text(w.EntityId).Text(w.Connection).Text(w.RecordType).Integer((int)w.Operation).Text(w.RecordId)
                    .Json(writer => w.Values.WriteTo(writer)).Json(writer => w.Payload.WriteTo(writer)).Integer(Ms(w.NextAt)).Integer(Ms(w.NextAt))
                    .Json(w.Origins is { Count: > 0 } o ? writer => WriteOrigins(writer, o, null) : null).Run();
            }

            foreach (var w in commit.RescheduledWrites)
            {
                session.Execute("UPDATE sync_writes SET attempts = $1, next_at = $2, last_error = $3 WHERE id = $0", w.Id, w.Attempts, Ms(w.NextAt), w.LastError);
            }

            foreach (var c in commit.NewConflicts)
            {
                session.Execute(
                    "INSERT INTO sync_conflicts (entity, entity_id, field, candidates, open, resolution, resolved_by, created_at, resolved_at) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8)",
                    c.Entity, c.EntityId, c.Field, JsonSerializer.Serialize(c.Candidates, SyncJson.Options), c.Open ? 1 : 0, c.Resolution?.ToJsonString(), c.ResolvedBy,
                    Ms(c.CreatedAt), c.ResolvedAt is { } r ? Ms(r) : null);
            }

            foreach (var c in commit.UpdatedConflicts)
            {
                session.Execute("UPDATE sync_conflicts SET candidates = $1, open = $2, resolution = $3, resolved_by = $4, resolved_at = $5 WHERE id = $0",
                    c.Id, JsonSerializer.Serialize(c.Candidates, SyncJson.Options), c.Open ? 1 : 0, c.Resolution?.ToJsonString(), c.ResolvedBy, c.ResolvedAt is { } r ? Ms(r) : null);
            }

            // Closed before the new errors are recorded: a record refused again in this same step keeps its new error open.
            foreach (var group in commit.ClosedRecordErrors.GroupBy(c => (c.Entity, c.Connection, c.RecordType, c.Kind)))
            {
                session.Execute(CloseRecordErrors, group.Key.Entity, group.Key.Connection, group.Key.RecordType, group.Key.Kind,
                    JsonSerializer.Serialize(group.Select(c => new { id = c.RecordId, v = c.Version, at = c.UpdatedAt is { } at ? Ms(at) : (long?)null })));
            }

            foreach (var e in commit.NewErrors)
            {
                session.Execute(
                    "INSERT INTO sync_errors (entity, connection, record_type, record_id, entity_id, kind, problems, record, open, created_at, record_version, record_updated_at) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10)",
                    e.Entity, e.Connection, e.RecordType, e.RecordId, e.EntityId, e.Kind, JsonSerializer.Serialize(e.Problems, SyncJson.Options), e.Record?.ToJsonString(), Ms(e.CreatedAt),
                    e.RecordVersion, e.RecordUpdatedAt is { } ru ? Ms(ru) : null);
            }

            foreach (var id in commit.ClosedErrors)
            {
                session.Execute("UPDATE sync_errors SET open = 0 WHERE id = $0", id);
            }

            if (commit.Cursor is { } cursor)
            {
                session.Execute("INSERT OR REPLACE INTO sync_cursors (entity, connection, record_type, cursor, updated_at) VALUES ($0, $1, $2, $3, $4)",
                    cursor.Entity, cursor.Connection, cursor.RecordType, cursor.Cursor, Ms(DateTimeOffset.UtcNow));
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<EntityState>> EntityPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync("SELECT entity, id, fields, origins, deleted, version, updated_at FROM sync_entities WHERE entity = $0 AND id > $1 ORDER BY id LIMIT $2",
            ReadEntity, cancellationToken, entity, afterId ?? "", limit);

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> EntityIdPageAsync(string entity, string? afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync("SELECT id FROM sync_entities WHERE entity = $0 AND id > $1 ORDER BY id LIMIT $2", r => r.GetString(0), cancellationToken, entity, afterId ?? "", limit);

    /// <inheritdoc/>
    public Task<IReadOnlyList<EntityState>> UnlinkedEntitiesAsync(string entity, string connection, string recordType, string? afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            """
            SELECT entity, id, fields, origins, deleted, version, updated_at FROM sync_entities e
            WHERE entity = $0 AND deleted = 0 AND id > $1
              AND NOT EXISTS (SELECT 1 FROM sync_links l WHERE l.entity = e.entity AND l.id = e.id AND l.connection = $2 AND l.record_type = $3)
            ORDER BY id LIMIT $4
            """, ReadEntity, cancellationToken, entity, afterId ?? "", connection, recordType, limit);

    /// <inheritdoc/>
    public Task<IReadOnlyList<LinkState>> LinkPageAsync(string entity, string connection, string recordType, string? afterEntityId, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {LinkColumns} FROM sync_links WHERE entity = $0 AND connection = $1 AND record_type = $2 AND id > $3 ORDER BY id LIMIT $4",
            ReadLink, cancellationToken, entity, connection, recordType, afterEntityId ?? "", limit);

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncConflict>> ConflictsAsync(bool openOnly, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {ConflictColumns} FROM sync_conflicts {(openOnly ? "WHERE open = 1" : "")} ORDER BY id DESC LIMIT $0", ReadConflict, cancellationToken, limit);

    /// <inheritdoc/>
    public async Task<SyncConflict?> ConflictAsync(long id, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {ConflictColumns} FROM sync_conflicts WHERE id = $0", ReadConflict, cancellationToken, id).ConfigureAwait(false)) is [var first, ..] ? first : null;

    /// <inheritdoc/>
    public Task<IReadOnlyList<SyncError>> ErrorsAsync(bool openOnly, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {ErrorColumns} FROM sync_errors {(openOnly ? "WHERE open = 1" : "")} ORDER BY id DESC LIMIT $0", ReadError, cancellationToken, limit);

    /// <inheritdoc/>
    public async Task<SyncError?> ErrorAsync(long id, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {ErrorColumns} FROM sync_errors WHERE id = $0", ReadError, cancellationToken, id).ConfigureAwait(false)) is [var first, ..] ? first : null;

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken)
    {
        var rows = await ReadAsync(
            """
            SELECT 'entities.' || entity, COUNT(*) FROM sync_entities WHERE deleted = 0 GROUP BY entity
            UNION ALL SELECT 'links.' || connection, COUNT(*) FROM sync_links GROUP BY connection
            UNION ALL SELECT 'writes.pending', COUNT(*) FROM sync_writes
            UNION ALL SELECT 'conflicts.open', COUNT(*) FROM sync_conflicts WHERE open = 1
            UNION ALL SELECT 'errors.open', COUNT(*) FROM sync_errors WHERE open = 1
            """, r => (r.GetString(0), r.GetInt64(1)), cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<(string Entity, string Connection, string RecordType, string? Cursor, DateTimeOffset UpdatedAt)>> CursorsAsync(CancellationToken cancellationToken) =>
        ReadAsync("SELECT entity, connection, record_type, cursor, updated_at FROM sync_cursors ORDER BY entity, connection",
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), FromMs(r.GetInt64(4))), cancellationToken);

    /// <inheritdoc/>
    public Task<long> SaveReconciliationAsync(string entity, bool dryRun, DateTimeOffset startedAt, DateTimeOffset finishedAt, string report, CancellationToken cancellationToken) =>
        WriteAsync(s => (long)s.Scalar("INSERT INTO reconciliations (entity, dry_run, started_at, finished_at, report) VALUES ($0, $1, $2, $3, $4) RETURNING id",
            entity, dryRun ? 1 : 0, Ms(startedAt), Ms(finishedAt), report)!);

    /// <inheritdoc/>
    public Task<IReadOnlyList<ReconciliationRecord>> ReconciliationsAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync("SELECT id, entity, dry_run, started_at, finished_at, report FROM reconciliations ORDER BY id DESC LIMIT $0", ReadReconciliation, cancellationToken, limit);

    /// <inheritdoc/>
    public async Task<ReconciliationRecord?> ReconciliationAsync(long id, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT id, entity, dry_run, started_at, finished_at, report FROM reconciliations WHERE id = $0", ReadReconciliation, cancellationToken, id)
            .ConfigureAwait(false)) is [var one] ? one : null;

    private static ReconciliationRecord ReadReconciliation(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt32(2) == 1, FromMs(r.GetInt64(3)), FromMs(r.GetInt64(4)), r.GetString(5));

    /// <summary>
    /// Closes the open errors of a kind of the records in $4 (<c>[{id, v, at}]</c>), except those refused at a later version:
    /// numeric versions compare when both sides have one, otherwise updated-at when both have it. Each record is one probe of
    /// the partial index of open errors, so a step that refused nothing before costs next to nothing.
    /// </summary>
    internal const string CloseRecordErrors =
        """
        UPDATE sync_errors SET open = 0 WHERE id IN (
            SELECT e.id FROM json_each($4) j
            JOIN sync_errors e INDEXED BY sync_errors_open_record
              ON e.entity = $0 AND e.connection = $1 AND e.record_type = $2 AND e.record_id = json_extract(j.value, '$.id') AND e.kind = $3 AND e.open = 1
            WHERE CASE
                WHEN e.record_version IS NOT NULL AND json_extract(j.value, '$.v') IS NOT NULL THEN e.record_version <= json_extract(j.value, '$.v')
                WHEN e.record_updated_at IS NOT NULL AND json_extract(j.value, '$.at') IS NOT NULL THEN e.record_updated_at <= json_extract(j.value, '$.at')
                ELSE 1 END)
        """;

    /// <summary>Takes an identity-match key for a live entity: a free one, or one a deleted entity holds.</summary>
    private const string MatchLive =
        """
        INSERT INTO sync_match (entity, key, id) VALUES (?, ?, ?)
        ON CONFLICT (entity, key) DO UPDATE SET id = excluded.id
        WHERE EXISTS (SELECT 1 FROM sync_entities d WHERE d.entity = sync_match.entity AND d.id = sync_match.id AND d.deleted = 1)
        """;

    private const string ConflictColumns = "id, entity, entity_id, field, candidates, open, resolution, resolved_by, created_at, resolved_at";
    private const string ErrorColumns = "id, entity, connection, record_type, record_id, entity_id, kind, problems, record, open, created_at, record_version, record_updated_at";

    private async Task<IReadOnlyList<T>> ReadAsync<T>(string sql, Func<SqliteDataReader, T> read, CancellationToken cancellationToken, params object?[] args)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), args[i] ?? DBNull.Value);
        }

        var list = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(read(reader));
        }

        return list;
    }

    // Written straight from the nodes: copying every value into a new object only to serialize it doubled the work.
    private static void WriteValues(Utf8JsonWriter writer, Dictionary<string, JsonNode?> values)
    {
        writer.WriteStartObject();
        foreach (var (k, v) in values)
        {
            writer.WritePropertyName(k);
            if (v is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                v.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static Dictionary<string, JsonNode?> Values(byte[] json)
    {
        // Each value is a node over the one parsed document, as JsonNode.Parse would make it, without the object around them
        // (which held every value a second time, in a dictionary of its own). The document is not disposed: the nodes read it.
        var root = JsonDocument.Parse(json).RootElement;
        var values = new Dictionary<string, JsonNode?>(root.GetPropertyCount(), StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            values[property.Name] = value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.Object => JsonObject.Create(value),
                JsonValueKind.Array => JsonArray.Create(value),
                _ => JsonValue.Create(value),
            };
        }

        return values;
    }

    /// <summary>The ranks of a link's base and pending values, or null when it knows none.</summary>
    private static Action<Utf8JsonWriter>? LinkOrigins(LinkState link) =>
        link.BaseOrigins.Count == 0 && link.PendingOrigins.Count == 0 ? null : writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("base");
            WriteOrigins(writer, link.BaseOrigins, link.Base);
            writer.WritePropertyName("pending");
            WriteOrigins(writer, link.PendingOrigins, link.Pending);
            writer.WriteEndObject();
        };

    /// <summary>
    /// Field → origin as <c>{"s": source, "at": ms, "n": step}</c> (<c>n</c> only when not 0), for the fields in
    /// <paramref name="only"/> when given. Written straight to the writer: a node tree per entity only to serialize it
    /// was a good part of a commit's work.
    /// </summary>
    private static void WriteOrigins(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, FieldOrigin>> origins, Dictionary<string, JsonNode?>? only)
    {
        writer.WriteStartObject();
        foreach (var (field, origin) in origins)
        {
            if (only is null || only.ContainsKey(field))
            {
                writer.WriteStartObject(field);
                writer.WriteString("s", origin.Source);
                writer.WriteNumber("at", Ms(origin.At));
                if (origin.Step != 0)
                {
                    writer.WriteNumber("n", origin.Step);
                }

                writer.WriteEndObject();
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads what <see cref="WriteOrigins(Utf8JsonWriter, IEnumerable{KeyValuePair{string, FieldOrigin}}, Dictionary{string, JsonNode?}?)"/>
    /// wrote, from the reader's start of the object to its end, without a node tree: every link and entity read has one.
    /// </summary>
    private static void ReadOrigins(ref Utf8JsonReader reader, Dictionary<string, FieldOrigin> into)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = StoredNames.Read(ref reader)!;
            reader.Read();
            Expect(ref reader, JsonTokenType.StartObject);
            string? source = null;
            long at = 0;
            var step = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("s"u8))
                {
                    reader.Read();
                    source = StoredNames.Read(ref reader);
                }
                else if (reader.ValueTextEquals("at"u8))
                {
                    reader.Read();
                    at = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("n"u8))
                {
                    reader.Read();
                    step = reader.GetInt32();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            into[field] = new FieldOrigin(source ?? throw new JsonException($"the origin of '{field}' has no source"), FromMs(at)) { Step = step };
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"stored origins: expected {type}, found {reader.TokenType}");
        }
    }

    // The column's UTF-8 text as SQLite holds it, rather than decoded to a string only to be encoded again.
    private static byte[] Utf8(SqliteDataReader r, int column) => r.GetFieldValue<byte[]>(column);

    private static void ReadOrigins(byte[] json, Dictionary<string, FieldOrigin> into)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        ReadOrigins(ref reader, into);
    }

    /// <summary>A link's origins: <c>{"base": {…}, "pending": {…}}</c>.</summary>
    private static void ReadLinkOrigins(byte[] json, LinkState link)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Matched as UTF-8, as ReadOrigins matches its keys: decoding the two names of every link read was waste.
            var into = reader.ValueTextEquals("base"u8) ? link.BaseOrigins : reader.ValueTextEquals("pending"u8) ? link.PendingOrigins : null;
            reader.Read();
            if (into is null)
            {
                reader.Skip();
            }
            else
            {
                ReadOrigins(ref reader, into);
            }
        }
    }

    private static EntityState ReadEntity(SqliteDataReader r)
    {
        var entity = new EntityState(r.GetString(0), r.GetString(1))
        {
            Fields = Values(Utf8(r, 2)),
            Deleted = r.GetInt32(4) == 1,
            Version = r.GetInt64(5),
            UpdatedAt = FromMs(r.GetInt64(6)),
        };
        ReadOrigins(Utf8(r, 3), entity.Origins);
        return entity;
    }

    private static LinkState ReadLink(SqliteDataReader r)
    {
        var link = ReadLinkColumns(r);
        if (!r.IsDBNull(13))
        {
            ReadLinkOrigins(Utf8(r, 13), link);
        }

        return link;
    }

    private static LinkState ReadLinkColumns(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3))
    {
        RecordId = r.IsDBNull(4) ? null : r.GetString(4),
        RecordVersion = r.IsDBNull(5) ? null : r.GetString(5),
        RecordUpdatedAt = r.IsDBNull(6) ? null : FromMs(r.GetInt64(6)),
        Base = Values(Utf8(r, 7)),
        Pending = Values(Utf8(r, 8)),
        Outstanding = r.GetInt32(9),
        Source = r.GetString(10),
        LinkedAt = FromMs(r.GetInt64(11)),
        SyncedAt = FromMs(r.GetInt64(12)),
    };

    private static SyncWrite ReadWrite(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), (WriteOperation)r.GetInt32(5),
        r.IsDBNull(6) ? null : r.GetString(6), JsonNode.Parse(Utf8(r, 7))!.AsObject(), JsonNode.Parse(Utf8(r, 8))!.AsObject(),
        r.GetInt32(9), FromMs(r.GetInt64(10)), r.IsDBNull(11) ? null : r.GetString(11))
    {
        ExpectedVersion = r.FieldCount > 13 && !r.IsDBNull(13) ? r.GetString(13) : null,
        Origins = r.FieldCount > 14 && !r.IsDBNull(14) ? WriteOrigins(Utf8(r, 14)) : null,
    };

    private static Dictionary<string, FieldOrigin> WriteOrigins(byte[] json)
    {
        var origins = new Dictionary<string, FieldOrigin>(8, StringComparer.Ordinal);
        ReadOrigins(json, origins);
        return origins;
    }

    private static SyncConflict ReadConflict(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
        JsonSerializer.Deserialize<List<ConflictCandidate>>(r.GetString(4), SyncJson.Options)!, FromMs(r.GetInt64(8)),
        r.GetInt32(5) == 1, r.IsDBNull(6) ? null : JsonNode.Parse(r.GetString(6)), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(9) ? null : FromMs(r.GetInt64(9)));

    private static SyncError ReadError(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6),
        JsonSerializer.Deserialize<List<MappingProblem>>(r.GetString(7), SyncJson.Options)!, r.IsDBNull(8) ? null : JsonNode.Parse(r.GetString(8))!.AsObject(),
        FromMs(r.GetInt64(10)), r.GetInt32(9) == 1)
    {
        RecordVersion = r.IsDBNull(11) ? null : r.GetInt64(11),
        RecordUpdatedAt = r.IsDBNull(12) ? null : FromMs(r.GetInt64(12)),
    };
}
