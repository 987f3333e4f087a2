using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Isthmus.Benchmarks.Sync;

/// <summary>
/// The data of the sync benchmark: a <c>Customer</c> entity read from an ERP's SQL table (<c>erp</c>, SQLite or PostgreSQL)
/// and written to a CRM (<c>crm</c>, the record-system emulator over http with <c>records:</c>), both directions mapped.
/// </summary>
public sealed class SyncScenario
{
    public const string RecordType = "customers";
    public const string Entity = "Customer";

    static readonly string[] Cities = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Suzhou", "Nanjing"];
    static readonly string[] Tiers = ["A", "B", "C"];
    static readonly string[] Parameters = ["$c", "$n", "$city", "$t", "$l", "$p", "$e", "$u"];

    SyncScenario(string provider, string connectionString, string table, int records)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Table = table;
        Records = records;
    }

    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    public string Provider { get; }

    public string ConnectionString { get; }

    public string Table { get; }

    public int Records { get; }

    public static SyncScenario Sqlite(string directory, int records) =>
        new("sqlite", $"Data Source={Path.Combine(directory, "erp.db")}", "customers", records);

    public static SyncScenario Postgres(string connectionString, int records) =>
        new("postgresql", connectionString, $"bench_customers_{Environment.ProcessId}", records);

    public static string Code(int i) => "C" + i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>The configuration: the store, both connections and the model.</summary>
    public string ConfigYaml(string emulatorUrl, string synchronous) => $$"""
        store: { path: isthmus.db, synchronous: {{synchronous}} }
        connections:
          erp:
            kind: sql
            provider: {{Provider}}
            connectionString: "{{ConnectionString}}"
            tables:
              customers: { table: {{Table}}, id: code, cursor: updated_at, version: row_version }
          crm:
            kind: http
            baseUrl: {{emulatorUrl}}
            timeout: 30s
            records:
              customers: { path: /api/customers, pageSize: 1000, batch: _batch, batchSize: 200 }
        entities:
          Customer:
            fields:
              code: { type: string, required: true, normalize: [trim, upper] }
              name: { type: string, required: true }
              city: string
              tier: { type: enum, values: [A, B, C] }
              creditLimit: decimal
              phone: string
              email: string
            match: [code]
            sync:
              wins: lww
            mappings:
              erp:
                records: customers
                fields:
                  code: code
                  name: name
                  city: city
                  tier: tier
                  creditLimit: { path: credit_limit_cents, in: "value == null ? null : value / 100", out: "value == null ? null : value * 100" }
                  phone: phone
                  email: email
              crm:
                records: customers
                createId: entity.code
                fields:
                  code: customerNo
                  name: companyName
                  city: address.city
                  tier: level
                  creditLimit: creditLimit
                  phone: tel
                  email: mail
        """;

    /// <summary>Creates the ERP table with <see cref="Records"/> rows, last changed an hour ago, one millisecond apart.</summary>
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        if (Provider == "sqlite")
        {
            await using var connection = new SqliteConnection(ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await Execute(connection, $"""
                DROP TABLE IF EXISTS {Table};
                CREATE TABLE {Table} (code TEXT PRIMARY KEY, name TEXT NOT NULL, city TEXT, tier TEXT, credit_limit_cents INTEGER, phone TEXT, email TEXT,
                  updated_at DATETIME NOT NULL, row_version INTEGER NOT NULL DEFAULT 1);
                PRAGMA journal_mode = WAL;
                """, cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO {Table} (code, name, city, tier, credit_limit_cents, phone, email, updated_at) VALUES ($c, $n, $city, $t, $l, $p, $e, $u)";
            var ps = Parameters.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
            ps[4].SqliteType = SqliteType.Integer;
            for (int i = 1; i <= Records; i++)
            {
                var row = Row(i, start);
                for (int p = 0; p < ps.Length; p++)
                {
                    ps[p].Value = p == 7 ? ((DateTimeOffset)row[p]).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : row[p];
                }

                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return;
        }

        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await Execute(connection, $"""
                DROP TABLE IF EXISTS {Table};
                CREATE TABLE {Table} (code text PRIMARY KEY, name text NOT NULL, city text, tier text, credit_limit_cents bigint, phone text, email text,
                  updated_at timestamptz NOT NULL, row_version integer NOT NULL DEFAULT 1);
                """, cancellationToken);
            // The import must be closed before the connection runs anything else.
            await using (var copy = await connection.BeginBinaryImportAsync(
                $"COPY {Table} (code, name, city, tier, credit_limit_cents, phone, email, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                for (int i = 1; i <= Records; i++)
                {
                    var row = Row(i, start);
                    await copy.StartRowAsync(cancellationToken);
                    for (int p = 0; p < 7; p++)
                    {
                        await copy.WriteAsync(row[p], p == 4 ? NpgsqlDbType.Bigint : NpgsqlDbType.Text, cancellationToken);
                    }

                    await copy.WriteAsync(((DateTimeOffset)row[7]).UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            await Execute(connection, $"ANALYZE {Table}", cancellationToken);
        }
    }

    static object[] Row(int i, DateTimeOffset start) =>
    [
        Code(i),
        $"Customer {i} Trading Co., Ltd.",
        Cities[i % Cities.Length],
        Tiers[i % Tiers.Length],
        (long)(i % 1000) * 10_000,
        "+86 21 " + (5550000 + i).ToString(CultureInfo.InvariantCulture),
        $"ap{i}@customer{i % 97}.example.com",
        start.AddMilliseconds(i),
    ];

    /// <summary>Which records drift: every 200th from 3 in the CRM, every 200th from 103 in the ERP (about 1% in all).</summary>
    public IEnumerable<int> CrmDrift() => Enumerable.Range(1, Records).Where(i => i % 200 == 3);

    public IEnumerable<int> ErpDrift() => Enumerable.Range(1, Records).Where(i => i % 200 == 103);

    /// <summary>Changes the ERP rows of <see cref="ErpDrift"/> behind Isthmus's back, as another application would (a new city, a newer updated_at).</summary>
    public async Task<int> DriftErpAsync(CancellationToken cancellationToken)
    {
        var codes = ErpDrift().Select(Code).ToArray();
        if (Provider == "sqlite")
        {
            await using var connection = new SqliteConnection(ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE {Table} SET city = city || ' (moved)', row_version = row_version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE code IN (SELECT value FROM json_each($codes))
                """;
            command.Parameters.AddWithValue("$codes", System.Text.Json.JsonSerializer.Serialize(codes));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var pg = new NpgsqlConnection(ConnectionString);
        await pg.OpenAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            $"UPDATE {Table} SET city = city || ' (moved)', row_version = row_version + 1, updated_at = now() WHERE code = ANY(@codes)", pg);
        update.Parameters.AddWithValue("codes", codes);
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes the PostgreSQL table (a SQLite file goes with the run's directory).</summary>
    public async Task DropAsync()
    {
        if (Provider != "postgresql")
        {
            return;
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await Execute(connection, $"DROP TABLE IF EXISTS {Table}; DROP TABLE IF EXISTS isthmus_idempotency;", CancellationToken.None);
    }

    static async Task Execute(System.Data.Common.DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
