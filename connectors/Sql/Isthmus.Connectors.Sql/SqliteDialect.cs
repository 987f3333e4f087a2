using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite. SQLite stores a value's own type, so parameters are bound as the column's
/// declared type suggests (integers, reals, text); timestamps are ISO-8601 text in UTC with milliseconds, which sorts in time order.
/// </summary>
internal sealed class SqliteDialect(string connectionString) : SqlDialect
{
    private const string NowText = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public override string Name => "SQLite";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public override async Task<TableSchema> DescribeAsync(DbConnection connection, SqlTableOptions table, string connectionName,
        CancellationToken cancellationToken)
    {
        var (schema, name) = SqlNames.Split(table.Table);
        schema ??= "main";
        string? actual = null;
        string type = "table";
        await using (var find = Command(connection,
            $"SELECT name, type FROM {SqlNames.Quote(schema)}.sqlite_master WHERE type IN ('table', 'view') AND name = @name COLLATE NOCASE"))
        {
            find.Parameters.AddWithValue("@name", name);
            try
            {
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    actual = reader.GetString(0);
                    type = reader.GetString(1);
                }
            }
            catch (SqliteException) when (schema != "main")
            {
                // An unknown schema (attached database) reads like a missing table.
            }
        }

        if (actual is null)
        {
            throw Schema.MissingTable(connectionName, table);
        }

        var columns = new List<ColumnInfo>();
        var primaryKey = new List<string>();
        await using (var describe = Command(connection, "SELECT name, type, pk FROM pragma_table_info(@table, @schema) ORDER BY cid"))
        {
            describe.Parameters.AddWithValue("@table", actual);
            describe.Parameters.AddWithValue("@schema", schema);
            await using var reader = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var declared = reader.GetString(1);
                columns.Add(new ColumnInfo(reader.GetString(0), declared.Length == 0 ? "(no type)" : declared, KindOf(declared)));
                if (reader.GetInt64(2) > 0)
                {
                    primaryKey.Add(reader.GetString(0));
                }
            }
        }

        var id = Schema.Column(connectionName, table, columns, table.Id, "id", actual);
        var unique = type == "view" || (primaryKey.Count == 1 && primaryKey[0] == id.Name);
        if (!unique)
        {
            await using var check = Command(connection, """
                SELECT count(*) FROM pragma_index_list(@table, @schema) il
                WHERE il."unique" = 1 AND il.partial = 0
                  AND (SELECT count(*) FROM pragma_index_info(il.name, @schema)) = 1
                  AND (SELECT name FROM pragma_index_info(il.name, @schema)) = @id
                """);
            check.Parameters.AddWithValue("@table", actual);
            check.Parameters.AddWithValue("@schema", schema);
            check.Parameters.AddWithValue("@id", id.Name);
            unique = (long)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
        }

        var quoted = SqlNames.Quote(schema) + "." + SqlNames.Quote(actual);
        return Schema.Build(this, connectionName, table, quoted, schema == "main" ? actual : $"{schema}.{actual}", columns, unique);
    }

    // SQLite's own affinity rules (https://sqlite.org/datatype3.html), refined where the declared name says more.
    private static ColumnKind KindOf(string declared)
    {
        var t = declared.ToUpperInvariant();
        return t switch
        {
            "" => ColumnKind.Any,
            "JSON" or "JSONB" => ColumnKind.Json,
            _ when t.Contains("BOOL", StringComparison.Ordinal) => ColumnKind.Bool,
            _ when t.Contains("INT", StringComparison.Ordinal) => ColumnKind.Integer,
            _ when t.Contains("DATETIME", StringComparison.Ordinal) || t.Contains("TIMESTAMP", StringComparison.Ordinal) => ColumnKind.TimestampTz,
            "DATE" => ColumnKind.Date,
            _ when t.Contains("CHAR", StringComparison.Ordinal) || t.Contains("CLOB", StringComparison.Ordinal) || t.Contains("TEXT", StringComparison.Ordinal) => ColumnKind.Text,
            _ when t.Contains("BLOB", StringComparison.Ordinal) => ColumnKind.Bytes,
            _ when t.Contains("REAL", StringComparison.Ordinal) || t.Contains("FLOA", StringComparison.Ordinal) || t.Contains("DOUB", StringComparison.Ordinal) => ColumnKind.Real,
            _ when t.Contains("DEC", StringComparison.Ordinal) || t.Contains("NUM", StringComparison.Ordinal) || t.Contains("MONEY", StringComparison.Ordinal) => ColumnKind.Decimal,
            _ when t.Contains("TIME", StringComparison.Ordinal) => ColumnKind.Time,
            _ => ColumnKind.Any,
        };
    }

    private static SqliteCommand Command(DbConnection connection, string sql) => new(sql, (SqliteConnection)connection);

    public override string AsText(ColumnInfo column) => $"CAST({column.Quoted} AS TEXT)";

    public override string Key(ColumnInfo column) => column.Quoted;

    public override string SelectColumn(ColumnInfo column) => column.Quoted;

    public override string Param(string name, ColumnInfo column) => "@" + name;

    public override object ToParameter(JsonNode? value, ColumnInfo column, TableSchema table)
    {
        if (value is null || value.GetValueKind() == JsonValueKind.Null)
        {
            return DBNull.Value;
        }

        var kind = value.GetValueKind();
        switch (column.Kind)
        {
            case ColumnKind.Integer:
                return JsonValues.TryInteger(value, out var whole) ? whole : throw JsonValues.Reject(table, column, value, "expected a whole number");
            case ColumnKind.Bool:
                return JsonValues.Bool(value) is { } b ? (b ? 1L : 0L) : throw JsonValues.Reject(table, column, value, "expected true or false");
            case ColumnKind.Real:
                return JsonValues.DecimalText(value) is { } r && double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
                    ? real : throw JsonValues.Reject(table, column, value, "expected a number");
            case ColumnKind.Decimal:
                // Bound as text: NUMERIC affinity stores it as an integer or a real, as SQLite does for any numeric column.
                return JsonValues.DecimalText(value) ?? throw JsonValues.Reject(table, column, value, "expected a number");
            case ColumnKind.TimestampTz:
                // One format for every timestamp (UTC, milliseconds): text comparisons then follow time, which cursors rely on.
                return JsonValues.Instant(value) is { } at
                    ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
                    : throw JsonValues.Reject(table, column, value, "expected an ISO-8601 timestamp");
            case ColumnKind.Date:
                return kind == JsonValueKind.String && DateOnly.TryParseExact(value.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? value.GetValue<string>() : throw JsonValues.Reject(table, column, value, "expected a date (yyyy-MM-dd)");
            case ColumnKind.Bytes:
                try
                {
                    return kind == JsonValueKind.String ? Convert.FromBase64String(value.GetValue<string>())
                        : throw JsonValues.Reject(table, column, value, "expected base64 text");
                }
                catch (FormatException)
                {
                    throw JsonValues.Reject(table, column, value, "expected base64 text");
                }

            case ColumnKind.Json:
                return value.ToJsonString();
            case ColumnKind.Text:
            case ColumnKind.Time:
                return kind is JsonValueKind.Object or JsonValueKind.Array ? value.ToJsonString() : JsonValues.ScalarText(value);
            default:
                return kind switch
                {
                    JsonValueKind.Number when JsonValues.TryInteger(value, out var n) && !value.ToJsonString().Contains('.', StringComparison.Ordinal) => n,
                    JsonValueKind.Number => value.GetValue<double>(),
                    JsonValueKind.True => 1L,
                    JsonValueKind.False => 0L,
                    JsonValueKind.String => value.GetValue<string>(),
                    _ => value.ToJsonString(),
                };
        }
    }

    public override object? IdParameter(string id, ColumnInfo column) =>
        column.Kind == ColumnKind.Integer
            ? long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null
            : id;

    public override object KeyParameter(JsonNode key, ColumnInfo column) => key.GetValueKind() switch
    {
        JsonValueKind.Number when JsonValues.TryInteger(key, out var n) && !key.ToJsonString().Contains('.', StringComparison.Ordinal)
            && !key.ToJsonString().Contains('e', StringComparison.OrdinalIgnoreCase) => n,
        JsonValueKind.Number => key.GetValue<double>(),
        _ => JsonValues.ScalarText(key),
    };

    public override JsonNode? ReadColumn(DbDataReader reader, int ordinal, ColumnInfo column)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        return reader.GetValue(ordinal) switch
        {
            long l when column.Kind == ColumnKind.Bool => JsonValue.Create(l != 0),
            long l => JsonValue.Create(l),
            double d => JsonValues.Real(d),
            byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
            string s when column.Kind == ColumnKind.Bool && JsonValues.Bool(JsonValue.Create(s)) is { } b => JsonValue.Create(b),
            string s when column.Kind == ColumnKind.Decimal => JsonValues.NumberFromText(s) ?? JsonValue.Create(s),
            string s when column.Kind == ColumnKind.Json => ParseOrText(s),
            string s => JsonValue.Create(s),
            var other => JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
        };
    }

    private static JsonNode? ParseOrText(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    public override JsonNode? ReadKey(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetValue(ordinal) switch
    {
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        byte[] b => JsonValue.Create(Convert.ToBase64String(b)),
        var other => JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
    };

    public override string? Now(ColumnInfo column, string table) => column.Kind switch
    {
        ColumnKind.TimestampTz or ColumnKind.Timestamp => NowText,
        ColumnKind.Date => "date('now')",
        ColumnKind.Integer or ColumnKind.Decimal or ColumnKind.Real => $"(SELECT COALESCE(MAX({column.Quoted}), 0) + 1 FROM {table})",
        _ => null,
    };

    public override string? NotAfter(ColumnInfo column, TimeSpan lag) => column.Kind switch
    {
        _ when lag <= TimeSpan.Zero => null,
        ColumnKind.TimestampTz or ColumnKind.Timestamp =>
            $"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{lag.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} seconds')",
        ColumnKind.Date => $"date('now', '-{lag.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} seconds')",
        _ => null,
    };

    public override ConnectorException? Classify(Exception exception, string subject)
    {
        if (exception is not SqliteException e)
        {
            return exception is IOException ? new ConnectorException($"{subject}: {exception.Message}", FailureKind.Transient, innerException: exception) : null;
        }

        var message = $"{subject}: {Name} error {e.SqliteErrorCode}: {e.Message}";
        var kind = (e.SqliteErrorCode & 0xFF) switch
        {
            5 or 6 or 7 or 10 or 13 or 14 or 15 => FailureKind.Transient, // BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN, PROTOCOL
            3 or 8 or 23 => FailureKind.Unauthorized,                       // PERM, READONLY, AUTH
            _ => FailureKind.Rejected,                                      // CONSTRAINT, MISMATCH, TOOBIG, plain SQL errors
        };
        return new ConnectorException(message, kind, innerException: e);
    }

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

    public override string CreateIdempotencyTable(string quotedTable) => $"""
        CREATE TABLE IF NOT EXISTS {quotedTable} (
          record_type TEXT NOT NULL,
          idempotency_key TEXT NOT NULL,
          record_id TEXT NOT NULL,
          created_at TEXT NOT NULL DEFAULT ({NowText}),
          PRIMARY KEY (record_type, idempotency_key))
        """;

    public override string PruneIdempotencyTable(string quotedTable) =>
        $"DELETE FROM {quotedTable} WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days')";

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; a closed connection should let go of it.
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
