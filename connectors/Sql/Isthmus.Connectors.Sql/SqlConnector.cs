using System.Data.Common;
using System.Text.Json.Nodes;
using Isthmus.Records;
using Microsoft.Extensions.Logging;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// Tables of a PostgreSQL or SQLite database as record systems: a change feed ordered by a cursor column (ties broken
/// by id), reads by id, merge writes with an optional version check, and soft or hard deletes. Every statement is
/// parameterised; table and column names come from the configuration, are checked against the database on first use
/// and are quoted.
/// </summary>
internal sealed partial class SqlConnector : IRecordConnector
{
    private readonly SqlConnectionOptions _options;
    private readonly SqlDialect _dialect;
    private readonly SemaphoreSlim _gate;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TableSchema> _schemas = new(StringComparer.Ordinal);
    private readonly Lock _schemasLock = new();

    public SqlConnector(string connection, SqlConnectionOptions options, ConnectorContext context)
    {
        Connection = connection;
        _options = options;
        _dialect = options.Provider == SqlProvider.PostgreSql ? new PostgresDialect(options.ConnectionString) : new SqliteDialect(options.ConnectionString);
        _gate = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _logger = context.Logs.CreateLogger("Isthmus.Connectors.Sql");
    }

    public string Connection { get; }

    public IReadOnlyCollection<string>? RecordTypes => [.. _options.Tables.Keys];

    public ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return RunAsync(recordType, async connection =>
        {
            var table = await TableAsync(connection, recordType, cancellationToken).ConfigureAwait(false);
            var from = cursor is null ? null : FeedCursor.Decode(cursor, recordType);
            var rows = new List<(SourceRecord Record, FeedCursor Key)>();

            // Rows with an empty cursor column have no place in time: a full read returns them first, by id.
            if (from is null || from.Value is null)
            {
                await using var command = Command(connection, null,
                    $"SELECT {table.Select} FROM {table.Table} WHERE {table.Cursor.Quoted} IS NULL"
                    + (from is null ? "" : $" AND {table.Id.Quoted} > {_dialect.Param("id", table.Id)}")
                    + $" ORDER BY {table.Id.Quoted} LIMIT @n");
                if (from is not null)
                {
                    Add(command, "id", _dialect.KeyParameter(from.Id, table.Id));
                }

                Add(command, "n", limit + 1);
                await ReadRowsAsync(command, table, rows, cancellationToken).ConfigureAwait(false);
            }

            if (rows.Count <= limit)
            {
                var c = table.Cursor.Quoted;
                var sql = $"SELECT {table.Select} FROM {table.Table} WHERE {c} IS NOT NULL";
                if (from?.Value is not null)
                {
                    var at = _dialect.Param("c", table.Cursor);
                    sql += $" AND ({c} > {at} OR ({c} = {at} AND {table.Id.Quoted} > {_dialect.Param("id", table.Id)}))";
                }

                if (_dialect.NotAfter(table.Cursor, table.Options.Lag) is { } bound)
                {
                    sql += $" AND {c} <= {bound}";
                }

                await using var command = Command(connection, null, sql + $" ORDER BY {c}, {table.Id.Quoted} LIMIT @n");
                if (from?.Value is not null)
                {
                    Add(command, "c", _dialect.KeyParameter(from.Value, table.Cursor));
                    Add(command, "id", _dialect.KeyParameter(from.Id, table.Id));
                }

                Add(command, "n", limit + 1 - rows.Count);
                await ReadRowsAsync(command, table, rows, cancellationToken).ConfigureAwait(false);
            }

            var more = rows.Count > limit;
            if (more)
            {
                rows.RemoveRange(limit, rows.Count - limit);
            }

            var next = rows.Count > 0 ? rows[^1].Key.Encode() : cursor;
            return new RecordPage([.. rows.Select(r => r.Record)], next, more);
        }, cancellationToken);
    }

    public ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return RunAsync(recordType, async connection =>
        {
            var table = await TableAsync(connection, recordType, cancellationToken).ConfigureAwait(false);
            return await GetAsync(connection, null, table, id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    private async Task<SourceRecord?> GetAsync(DbConnection connection, DbTransaction? transaction, TableSchema table, string id,
        CancellationToken cancellationToken)
    {
        if (_dialect.IdParameter(id, table.Id) is not { } key)
        {
            return null; // "abc" can never be the id of an integer column
        }

        await using var command = Command(connection, transaction,
            $"SELECT {table.Select} FROM {table.Table} WHERE {table.Id.Quoted} = {_dialect.Param("id", table.Id)}");
        Add(command, "id", key);
        var rows = new List<(SourceRecord Record, FeedCursor Key)>();
        await ReadRowsAsync(command, table, rows, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0].Record : null;
    }

    private async Task ReadRowsAsync(DbCommand command, TableSchema table, List<(SourceRecord, FeedCursor)> rows, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ReadRecord(reader, table));
        }
    }

    private (SourceRecord Record, FeedCursor Key) ReadRecord(DbDataReader reader, TableSchema table)
    {
        var fields = new JsonObject();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            fields[table.Columns[i].Name] = _dialect.ReadColumn(reader, TableSchema.FirstColumn + i, table.Columns[i]);
        }

        var id = reader.IsDBNull(TableSchema.IdOrdinal) ? "" : reader.GetString(TableSchema.IdOrdinal);
        var version = reader.IsDBNull(TableSchema.VersionOrdinal) ? null : reader.GetString(TableSchema.VersionOrdinal);
        var updatedAt = table.Cursor.IsTimestamp ? JsonValues.Instant(fields[table.Cursor.Name]) : null;
        var deleted = table.Deleted is { } d && JsonValues.IsSet(fields[d.Name]);
        var key = new FeedCursor(_dialect.ReadKey(reader, TableSchema.CursorOrdinal), _dialect.ReadKey(reader, TableSchema.KeyOrdinal) ?? JsonValue.Create(id));
        return (new SourceRecord(id, fields, version, updatedAt, deleted), key);
    }

    /// <summary>The record type resolved against the database, described on first use (and again after a failed attempt).</summary>
    private async Task<TableSchema> TableAsync(DbConnection connection, string recordType, CancellationToken cancellationToken)
    {
        if (!_options.Tables.TryGetValue(recordType, out var options))
        {
            throw new ConnectorException(
                $"connection '{Connection}': record type '{recordType}' is not configured; configured: {string.Join(", ", _options.Tables.Keys)}",
                FailureKind.Rejected);
        }

        lock (_schemasLock)
        {
            if (_schemas.TryGetValue(recordType, out var known))
            {
                return known;
            }
        }

        var schema = await _dialect.DescribeAsync(connection, options, Connection, cancellationToken).ConfigureAwait(false);
        lock (_schemasLock)
        {
            _schemas[recordType] = schema;
        }

        _logger.LogInformation("Connection {Connection}: record type {RecordType} is table {Table} ({Columns} columns, cursor {Cursor}, touch {Touch})",
            Connection, recordType, schema.DisplayName, schema.Columns.Count, schema.Cursor.Name, schema.Touch);
        return schema;
    }

    /// <summary>Runs <paramref name="work"/> on a pooled connection within the concurrency limit, classifying database failures.</summary>
    private async ValueTask<T> RunAsync<T>(string subject, Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && _dialect.Classify(e, $"{Connection}/{subject}") is { } failure)
        {
            throw failure;
        }
        finally
        {
            _gate.Release();
        }
    }

    private DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = (int)Math.Ceiling(_options.CommandTimeout.TotalSeconds);
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public async ValueTask DisposeAsync()
    {
        await _dialect.DisposeAsync().ConfigureAwait(false);
        _idempotencyGate.Dispose();
        _gate.Dispose();
    }
}
