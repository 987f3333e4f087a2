using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// PostgreSQL through Npgsql. Values travel as text and are cast to the column's declared type in SQL, so every type
/// PostgreSQL can parse (numeric with all its digits, timestamps, enums, uuid, json) is written faithfully.
/// </summary>
internal sealed class PostgresDialect(string connectionString) : SqlDialect
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public override string Name => "PostgreSQL";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async Task<TableSchema> DescribeAsync(DbConnection connection, SqlTableOptions table, string connectionName,
        CancellationToken cancellationToken)
    {
        var (schema, name) = SqlNames.Split(table.Table);
        var qualified = schema is null ? SqlNames.Quote(name) : SqlNames.Quote(schema) + "." + SqlNames.Quote(name);

        // The exact spelling first, then as PostgreSQL folds an unquoted name (Customer → customer).
        uint oid = 0;
        string? nspname = null, relname = null;
        char relkind = 'r';
        foreach (var candidate in new[] { qualified, table.Table })
        {
            await using var find = Command(connection,
                "SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(@name)");
            find.Parameters.Add(new NpgsqlParameter("name", candidate));
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                oid = reader.GetFieldValue<uint>(0);
                nspname = reader.GetString(1);
                relname = reader.GetString(2);
                relkind = reader.GetChar(3);
                break;
            }
        }

        if (relname is null)
        {
            throw Schema.MissingTable(connectionName, table);
        }

        var columns = new List<(ColumnInfo Column, short Number)>();
        await using (var describe = Command(connection, """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), b.typname, b.typcategory, a.attnum
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            WHERE a.attrelid = @oid AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """))
        {
            describe.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
            await using var reader = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((new ColumnInfo(reader.GetString(0), reader.GetString(1), KindOf(reader.GetString(2), reader.GetChar(3))),
                    reader.GetInt16(4)));
            }
        }

        var all = columns.Select(c => c.Column).ToList();
        var id = Schema.Column(connectionName, table, all, table.Id, "id", relname);
        bool unique = true;
        if (relkind is 'r' or 'p')
        {
            await using var check = Command(connection,
                "SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = @oid AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = @attnum AND i.indpred IS NULL)");
            check.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
            check.Parameters.Add(new NpgsqlParameter("attnum", columns.First(c => c.Column == id).Number));
            unique = (bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var quoted = SqlNames.Quote(nspname!) + "." + SqlNames.Quote(relname);
        return Schema.Build(this, connectionName, table, quoted, schema is null ? relname : $"{nspname}.{relname}", all, unique);
    }

    private static ColumnKind KindOf(string type, char category) => type switch
    {
        "int2" or "int4" or "int8" => ColumnKind.Integer,
        "numeric" or "money" => ColumnKind.Decimal,
        "float4" or "float8" => ColumnKind.Real,
        "bool" => ColumnKind.Bool,
        "timestamptz" => ColumnKind.TimestampTz,
        "timestamp" => ColumnKind.Timestamp,
        "date" => ColumnKind.Date,
        "time" or "timetz" => ColumnKind.Time,
        "json" or "jsonb" => ColumnKind.Json,
        "bytea" => ColumnKind.Bytes,
        "text" or "varchar" or "bpchar" or "name" or "citext" or "char" => ColumnKind.Text,
        _ when category == 'A' => ColumnKind.Array,
        _ => ColumnKind.Any,
    };

    private static NpgsqlCommand Command(DbConnection connection, string sql) => new(sql, (NpgsqlConnection)connection);

    public override string AsText(ColumnInfo column) => $"CAST({column.Quoted} AS text)";

    public override string Key(ColumnInfo column) => AsText(column);

    public override string SelectColumn(ColumnInfo column) => column.Kind switch
    {
        // numeric as text keeps every digit (a .NET decimal has 28); money as numeric drops the currency symbol.
        ColumnKind.Decimal when column.TypeName == "money" => $"CAST(CAST({column.Quoted} AS numeric) AS text) AS {column.Quoted}",
        ColumnKind.Array => $"CAST(array_to_json({column.Quoted}) AS text) AS {column.Quoted}",
        ColumnKind.Decimal or ColumnKind.Json or ColumnKind.Time or ColumnKind.Any => $"CAST({column.Quoted} AS text) AS {column.Quoted}",
        _ => column.Quoted,
    };

    public override string Param(string name, ColumnInfo column) => column.Kind switch
    {
        ColumnKind.Array => $"CAST(ARRAY(SELECT json_array_elements_text(CAST(@{name} AS json))) AS {column.TypeName})",
        _ => $"CAST(@{name} AS {column.TypeName})",
    };

    public override object ToParameter(JsonNode? value, ColumnInfo column, TableSchema table)
    {
        if (value is null || value.GetValueKind() == JsonValueKind.Null)
        {
            return DBNull.Value;
        }

        switch (column.Kind)
        {
            case ColumnKind.Json:
                return value.ToJsonString();
            case ColumnKind.Array:
                return value.GetValueKind() == JsonValueKind.Array ? value.ToJsonString() : throw JsonValues.Reject(table, column, value, "expected a JSON array");
            case ColumnKind.Integer:
                return JsonValues.TryInteger(value, out var whole) ? whole.ToString(CultureInfo.InvariantCulture)
                    : throw JsonValues.Reject(table, column, value, "expected a whole number");
            case ColumnKind.Decimal:
            case ColumnKind.Real:
                return JsonValues.DecimalText(value) ?? throw JsonValues.Reject(table, column, value, "expected a number");
            case ColumnKind.Bool:
                return JsonValues.Bool(value) is { } b ? (b ? "true" : "false") : throw JsonValues.Reject(table, column, value, "expected true or false");
            case ColumnKind.TimestampTz:
            case ColumnKind.Timestamp:
            case ColumnKind.Date:
                return value.GetValueKind() == JsonValueKind.String && JsonValues.Instant(value) is not null
                    ? value.GetValue<string>()
                    : throw JsonValues.Reject(table, column, value, "expected an ISO-8601 date or timestamp");
            case ColumnKind.Bytes:
                try
                {
                    return value.GetValueKind() == JsonValueKind.String ? Convert.FromBase64String(value.GetValue<string>())
                        : throw JsonValues.Reject(table, column, value, "expected base64 text");
                }
                catch (FormatException)
                {
                    throw JsonValues.Reject(table, column, value, "expected base64 text");
                }

            default:
                return value.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array ? value.ToJsonString() : JsonValues.ScalarText(value);
        }
    }

    public override object? IdParameter(string id, ColumnInfo column) =>
        column.Kind == ColumnKind.Integer && !long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : id;

    public override object KeyParameter(JsonNode key, ColumnInfo column) => JsonValues.ScalarText(key);

    public override JsonNode? ReadColumn(DbDataReader reader, int ordinal, ColumnInfo column)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        switch (column.Kind)
        {
            case ColumnKind.Decimal:
                var digits = reader.GetString(ordinal);
                return JsonValues.NumberFromText(digits) ?? JsonValue.Create(digits); // NaN and infinities stay text
            case ColumnKind.Json:
            case ColumnKind.Array:
                return JsonNode.Parse(reader.GetString(ordinal));
            case ColumnKind.Date:
                return JsonValue.Create(reader.GetFieldValue<DateOnly>(ordinal).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            case ColumnKind.Bytes:
                return JsonValue.Create(Convert.ToBase64String(reader.GetFieldValue<byte[]>(ordinal)));
        }

        return reader.GetValue(ordinal) switch
        {
            bool b => JsonValue.Create(b),
            short s => JsonValue.Create(s),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            float f => float.IsFinite(f) ? JsonValue.Create(f) : JsonValue.Create(f.ToString(CultureInfo.InvariantCulture)),
            double d => JsonValues.Real(d),
            decimal m => JsonValue.Create(m),
            DateTime t => JsonValue.Create(JsonValues.Timestamp(t)),
            string text => JsonValue.Create(text),
            var other => JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
        };
    }

    public override JsonNode? ReadKey(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : JsonValue.Create(reader.GetString(ordinal));

    public override string? Now(ColumnInfo column, string table) => column.Kind switch
    {
        // clock_timestamp, not now(): now() is the transaction's start, so rows of one batch would share it.
        ColumnKind.TimestampTz or ColumnKind.Timestamp or ColumnKind.Date => $"CAST(clock_timestamp() AS {column.TypeName})",
        ColumnKind.Integer or ColumnKind.Decimal or ColumnKind.Real => $"(SELECT COALESCE(MAX({column.Quoted}), 0) + 1 FROM {table})",
        _ => null,
    };

    public override string? NotAfter(ColumnInfo column, TimeSpan lag) => column.IsTimestamp && lag > TimeSpan.Zero
        ? $"CAST(clock_timestamp() - interval '{(long)lag.TotalMilliseconds} milliseconds' AS {column.TypeName})"
        : null;

    public override string NotDeleted(ColumnInfo column) =>
        column.Kind == ColumnKind.Bool ? $"{column.Quoted} IS NOT TRUE" : base.NotDeleted(column);

    public override ConnectorException? Classify(Exception exception, string subject)
    {
        switch (exception)
        {
            case PostgresException pg:
                var where = pg.ColumnName is { } c ? $" (column '{c}')" : pg.ConstraintName is { } k ? $" (constraint '{k}')" : "";
                var message = $"{subject}: {Name} {pg.SqlState}: {pg.MessageText}{where}";
                return pg.SqlState switch
                {
                    "28P01" or "28000" or "42501" => new ConnectorException(message, FailureKind.Unauthorized, innerException: pg),
                    // Serialization failures, deadlocks, lock timeouts, shutdowns, out of resources, connection trouble.
                    "40001" or "40P01" or "55P03" or "57014" => new ConnectorException(message, FailureKind.Transient, innerException: pg),
                    _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || pg.SqlState.StartsWith("57", StringComparison.Ordinal) || pg.SqlState.StartsWith("58", StringComparison.Ordinal)
                        => new ConnectorException(message, FailureKind.Transient, innerException: pg),
                    _ => new ConnectorException(message, FailureKind.Rejected, innerException: pg),
                };
            case NpgsqlException npgsql:
                return new ConnectorException($"{subject}: cannot reach {Name}: {npgsql.Message}", FailureKind.Transient, innerException: npgsql);
            case SocketException or TimeoutException or IOException:
                return new ConnectorException($"{subject}: cannot reach {Name}: {exception.Message}", FailureKind.Transient, innerException: exception);
            default:
                return null;
        }
    }

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: "23505" };

    // 42P07 duplicate_table, 42710 duplicate_object, 23505 on the catalog's unique index: each a racing CREATE.
    public override bool IsConcurrentCreate(Exception exception) =>
        exception is PostgresException { SqlState: "42P07" or "42710" or "23505" };

    public override string CreateIdempotencyTable(string quotedTable) => $"""
        CREATE TABLE IF NOT EXISTS {quotedTable} (
          record_type text NOT NULL,
          idempotency_key text NOT NULL,
          record_id text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (record_type, idempotency_key))
        """;

    public override string PruneIdempotencyTable(string quotedTable) =>
        $"DELETE FROM {quotedTable} WHERE created_at < now() - interval '30 days'";

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
