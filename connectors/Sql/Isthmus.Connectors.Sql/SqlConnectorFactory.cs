using Isthmus.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// Creates <c>sql</c> connections: tables of a PostgreSQL or SQLite database read as change feeds and written as records.
/// See <c>docs/connectors/sql.md</c> for every setting.
/// </summary>
public sealed class SqlConnectorFactory : IConnectorFactory
{
    private static readonly string[] Providers = ["postgresql", "sqlite"];

    /// <inheritdoc/>
    public string Kind => "sql";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);

        var provider = settings.OneOf("provider", Providers, required: true) switch
        {
            "postgresql" => SqlProvider.PostgreSql,
            "sqlite" => SqlProvider.Sqlite,
            _ => (SqlProvider?)null,
        };
        var connectionString = provider is { } p ? ReadConnectionString(settings, p, context.BaseDirectory) : settings.Text("connectionString", required: true);
        var maxConcurrency = settings.WholeNumber("maxConcurrency", 1, 1000, 4);
        var timeout = settings.Duration("commandTimeout", TimeSpan.FromSeconds(30));
        if (timeout is { } t && (t < TimeSpan.FromSeconds(1) || t > TimeSpan.FromHours(1)))
        {
            settings.Error("commandTimeout", "must be from 1s to 1h");
        }

        var idempotencyTable = settings.Text("idempotencyTable", defaultValue: "isthmus_idempotency");
        if (idempotencyTable is not null && !string.Equals(idempotencyTable, "none", StringComparison.OrdinalIgnoreCase)
            && !SqlNames.IsPlainName(idempotencyTable))
        {
            settings.Error("idempotencyTable", $"'{idempotencyTable}' must be a table name (letters, digits, _ and an optional schema.) or none");
        }

        var tables = ReadTables(settings);
        settings.RejectUnknownKeys("kind");
        if (settings.HasErrors || provider is null || connectionString is null || maxConcurrency is null || timeout is null || tables is null)
        {
            return null;
        }

        var options = new SqlConnectionOptions(provider.Value, connectionString, maxConcurrency.Value, timeout.Value,
            string.Equals(idempotencyTable, "none", StringComparison.OrdinalIgnoreCase) ? null : idempotencyTable, tables);
        return new SqlConnector(settings.Name, options, context);
    }

    private static string? ReadConnectionString(ConnectionSettings settings, SqlProvider provider, string? baseDirectory)
    {
        var text = settings.Text("connectionString", required: true);
        if (text is null)
        {
            return null;
        }

        // Parse here so a malformed string fails validation, not the first sync; messages never echo the string (it holds secrets).
        try
        {
            if (provider == SqlProvider.PostgreSql)
            {
                return new NpgsqlConnectionStringBuilder(text).ConnectionString;
            }

            var builder = new SqliteConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.DataSource))
            {
                settings.Error("connectionString", "has no Data Source; write e.g. \"Data Source=erp.db\"");
                return null;
            }

            // A relative file is relative to the configuration file, so the same config works from any directory.
            var file = builder.DataSource;
            if (file != ":memory:" && builder.Mode != SqliteOpenMode.Memory && !file.StartsWith("file:", StringComparison.Ordinal) && !Path.IsPathRooted(file))
            {
                builder.DataSource = Path.GetFullPath(Path.Combine(baseDirectory ?? ".", file));
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException e)
        {
            settings.Error("connectionString", $"is not a valid {(provider == SqlProvider.PostgreSql ? "PostgreSQL" : "SQLite")} connection string: {e.Message}");
            return null;
        }
    }

    private static Dictionary<string, SqlTableOptions>? ReadTables(ConnectionSettings settings)
    {
        var section = settings.Section("tables", required: true);
        if (section is null)
        {
            return null;
        }

        if (section.Map.Entries.Count == 0)
        {
            settings.Error("tables", "must name at least one record type");
            return null;
        }

        var tables = new Dictionary<string, SqlTableOptions>(StringComparer.Ordinal);
        foreach (var (recordType, _) in section.Map.Entries)
        {
            var table = section.Section(recordType, required: true);
            if (table is null)
            {
                continue;
            }

            var name = Name(table, "table", required: false) ?? recordType;
            if (!table.Has("table") && !SqlNames.IsPlainName(name))
            {
                table.Error(null, $"record type '{recordType}' is not a table name; add table: <name>");
            }

            var id = Name(table, "id", required: true);
            var cursor = Name(table, "cursor", required: true);
            var version = Name(table, "version", required: false);
            var deleted = Name(table, "deleted", required: false);
            var touch = table.Bool("touch");
            var lag = table.Duration("lag", TimeSpan.FromSeconds(1));
            if (lag is { } l && (l < TimeSpan.Zero || l > TimeSpan.FromHours(1)))
            {
                table.Error("lag", "must be from 0s to 1h");
            }

            table.RejectUnknownKeys();
            if (id is not null && cursor is not null && lag is not null)
            {
                tables[recordType] = new SqlTableOptions(recordType, name, id, cursor, version, deleted, touch, lag.Value);
            }
        }

        return tables;
    }

    private static string? Name(ConnectionSettings table, string key, bool required)
    {
        var name = table.Text(key, required);
        if (name is not null && (key == "table" ? !SqlNames.IsPlainName(name) : !SqlNames.IsColumnName(name)))
        {
            table.Error(key, key == "table"
                ? $"'{name}' is not a table name: letters, digits and _, optionally schema-qualified (sales.customer)"
                : $"'{name}' is not a column name: letters, digits and _");
            return null;
        }

        return name;
    }
}
