using System.Data.Common;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.Sql;

internal sealed partial class SqlConnector
{
    private volatile bool _idempotencyReady;
    private readonly SemaphoreSlim _idempotencyGate = new(1, 1);

    public ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return RunAsync(recordType, async connection =>
        {
            var table = await TableAsync(connection, recordType, cancellationToken).ConfigureAwait(false);
            await EnsureIdempotencyTableAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var record = await WriteRowAsync(connection, transaction, table, write, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return record;
        }, cancellationToken);
    }

    /// <summary>
    /// One transaction for the whole batch, one savepoint per row: a row the database refuses is rolled back alone and
    /// reported in its result, the others are committed together. A failure of the connection itself fails the batch.
    /// </summary>
    public ValueTask<IReadOnlyList<RecordWriteResult>> WriteBatchAsync(string recordType, IReadOnlyList<RecordWrite> writes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        return RunAsync<IReadOnlyList<RecordWriteResult>>(recordType, async connection =>
        {
            var table = await TableAsync(connection, recordType, cancellationToken).ConfigureAwait(false);
            await EnsureIdempotencyTableAsync(connection, cancellationToken).ConfigureAwait(false);
            var results = new RecordWriteResult[writes.Count];
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < writes.Count; i++)
            {
                try
                {
                    results[i] = new RecordWriteResult(
                        await WriteRowAsync(connection, transaction, table, writes[i], cancellationToken).ConfigureAwait(false), null);
                }
                catch (RecordConflictException e)
                {
                    results[i] = new RecordWriteResult(null, e);
                }
                catch (ConnectorException e) when (e.Kind == FailureKind.Rejected)
                {
                    results[i] = new RecordWriteResult(null, e);
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return results;
        }, cancellationToken);
    }

    public ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new ValueTask(RunAsync(recordType, async connection =>
        {
            var table = await TableAsync(connection, recordType, cancellationToken).ConfigureAwait(false);
            if (_dialect.IdParameter(id, table.Id) is not { } key)
            {
                return 0; // no row can have that id: already gone
            }

            var where = $"{table.Id.Quoted} = {_dialect.Param("id", table.Id)}" + (expectedVersion is null ? "" : $" AND {table.VersionText} = @version");
            string sql;
            if (table.Deleted is { } flag)
            {
                var set = Bookkeeping(table, insert: false).Select(b => $"{b.Column} = {b.Value}")
                    .Prepend($"{flag.Quoted} = {_dialect.DeletedValue(flag, table.Table)}");
                sql = $"UPDATE {table.Table} SET {string.Join(", ", set)} WHERE {where} AND {_dialect.NotDeleted(flag)}";
            }
            else
            {
                sql = $"DELETE FROM {table.Table} WHERE {where}";
            }

            await using var command = Command(connection, null, sql);
            Add(command, "id", key);
            if (expectedVersion is not null)
            {
                Add(command, "version", expectedVersion);
            }

            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0 && expectedVersion is not null
                && await GetAsync(connection, null, table, id, cancellationToken).ConfigureAwait(false) is { Deleted: false } current)
            {
                throw Conflict(table, id, expectedVersion, current);
            }

            return 0;
        }, cancellationToken).AsTask());
    }

    /// <summary>
    /// Writes one row inside a savepoint. A unique-key violation is retried once: it means another writer inserted the
    /// same id, or logged the same idempotency key, between our check and our insert; the retry then sees their row.
    /// </summary>
    private async Task<SourceRecord> WriteRowAsync(DbConnection connection, DbTransaction transaction, TableSchema table, RecordWrite write,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await transaction.SaveAsync("isthmus_row", cancellationToken).ConfigureAwait(false);
            try
            {
                var record = await WriteRowOnceAsync(connection, transaction, table, write, cancellationToken).ConfigureAwait(false);
                await transaction.ReleaseAsync("isthmus_row", cancellationToken).ConfigureAwait(false);
                return record;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await transaction.RollbackAsync("isthmus_row", cancellationToken).ConfigureAwait(false);
                if (attempt == 0 && _dialect.IsUniqueViolation(e))
                {
                    continue;
                }

                if (_dialect.Classify(e, $"{Connection}/{table.RecordType} {write.Id ?? "(new)"}") is { } failure)
                {
                    // The database names the column; the values written say which value it refused.
                    throw failure.Kind == FailureKind.Rejected
                        ? new ConnectorException($"{failure.Message}; written: {JsonValues.Show(write.Fields)}", failure.Kind, innerException: e)
                        : failure;
                }

                throw;
            }
        }
    }

    private async Task<SourceRecord> WriteRowOnceAsync(DbConnection connection, DbTransaction transaction, TableSchema table, RecordWrite write,
        CancellationToken cancellationToken)
    {
        if (await LoggedRecordAsync(connection, transaction, table, write.IdempotencyKey, cancellationToken).ConfigureAwait(false) is { } done)
        {
            return done; // this write was applied before: answer with the record as it is now, never apply it twice
        }

        // Merge: only the given columns. The id goes in WHERE; the version and a touched cursor are Isthmus's to set.
        var id = write.Id;
        var values = new List<(ColumnInfo Column, object Value)>();
        foreach (var (name, value) in write.Fields)
        {
            var column = table.Find(name) ?? throw new ConnectorException(
                $"{table.RecordType}: table '{table.DisplayName}' has no column '{name}'; its columns are: {string.Join(", ", table.Columns.Select(c => c.Name))}",
                FailureKind.Rejected);
            if (column == table.Id)
            {
                id ??= value is null ? null : JsonValues.ScalarText(value);
            }
            else if (column != table.Version && !(column == table.Cursor && table.Touch))
            {
                values.RemoveAll(v => v.Column == column);
                values.Add((column, _dialect.ToParameter(value, column, table)));
            }
        }

        SourceRecord? record = null;
        object? key = null;
        if (id is not null)
        {
            key = _dialect.IdParameter(id, table.Id) ?? throw JsonValues.Reject(table, table.Id, JsonValue.Create(id), "not a valid id for this column");
            var set = values.Select((v, i) => $"{v.Column.Quoted} = {_dialect.Param($"p{i}", v.Column)}")
                .Concat(Bookkeeping(table, insert: false).Select(b => $"{b.Column} = {b.Value}")).ToList();
            if (set.Count == 0)
            {
                set.Add($"{table.Id.Quoted} = {table.Id.Quoted}");
            }

            await using var update = Command(connection, transaction,
                $"UPDATE {table.Table} SET {string.Join(", ", set)} WHERE {table.Id.Quoted} = {_dialect.Param("id", table.Id)}"
                + (write.ExpectedVersion is null ? "" : $" AND {table.VersionText} = @version")
                + $" RETURNING {table.Select}");
            AddValues(update, values);
            Add(update, "id", key);
            if (write.ExpectedVersion is not null)
            {
                Add(update, "version", write.ExpectedVersion);
            }

            record = await SingleAsync(update, table, cancellationToken).ConfigureAwait(false);
            if (record is null && write.ExpectedVersion is not null)
            {
                throw Conflict(table, id, write.ExpectedVersion,
                    await GetAsync(connection, transaction, table, id, cancellationToken).ConfigureAwait(false));
            }
        }

        if (record is null)
        {
            var columns = values.Select(v => v.Column.Quoted).ToList();
            var parameters = values.Select((v, i) => _dialect.Param($"p{i}", v.Column)).ToList();
            if (key is not null)
            {
                columns.Add(table.Id.Quoted);
                parameters.Add(_dialect.Param("id", table.Id));
            }

            foreach (var (column, value) in Bookkeeping(table, insert: true))
            {
                columns.Add(column);
                parameters.Add(value);
            }

            await using var insert = Command(connection, transaction, columns.Count == 0
                ? $"INSERT INTO {table.Table} DEFAULT VALUES RETURNING {table.Select}"
                : $"INSERT INTO {table.Table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", parameters)}) RETURNING {table.Select}");
            AddValues(insert, values);
            if (key is not null)
            {
                Add(insert, "id", key);
            }

            record = await SingleAsync(insert, table, cancellationToken).ConfigureAwait(false);
            if (record is null || (record.Id.Length == 0 && record.Fields[table.Id.Name] is null))
            {
                throw new ConnectorException(
                    $"{table.RecordType}: table '{table.DisplayName}' generates no value for its id column '{table.Id.Name}'; give the id in the write",
                    FailureKind.Rejected);
            }
        }

        await LogWriteAsync(connection, transaction, table, write.IdempotencyKey, record.Id, cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The version bump and the cursor touch, as (column, SQL expression).</summary>
    private List<(string Column, string Value)> Bookkeeping(TableSchema table, bool insert)
    {
        var set = new List<(string, string)>();
        if (table.Version is { } v)
        {
            set.Add((v.Quoted, insert ? "1" : $"COALESCE({v.Quoted}, 0) + 1"));
        }

        if (table.Touch && _dialect.Now(table.Cursor, table.Table) is { } now)
        {
            set.Add((table.Cursor.Quoted, now));
        }

        return set;
    }

    private static RecordConflictException Conflict(TableSchema table, string id, string expected, SourceRecord? current) =>
        new(current is null
            ? $"{table.RecordType} {id}: expected version {expected}, but the record no longer exists"
            : $"{table.RecordType} {id}: expected version {expected}, but the record is at version {current.Version}", current);

    private static void AddValues(DbCommand command, List<(ColumnInfo Column, object Value)> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            Add(command, $"p{i}", values[i].Value);
        }
    }

    private async Task<SourceRecord?> SingleAsync(DbCommand command, TableSchema table, CancellationToken cancellationToken)
    {
        var rows = new List<(SourceRecord Record, FeedCursor Key)>();
        await ReadRowsAsync(command, table, rows, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0].Record : null;
    }
}
