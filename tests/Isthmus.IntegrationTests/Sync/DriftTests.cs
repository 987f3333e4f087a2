using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Isthmus.IntegrationTests.Sync;

/// <summary>
/// Customers kept between a SQL table and a CRM drift behind Isthmus's back (a direct UPDATE, a lost webhook, a deleted
/// row, a record added outside the link); reconciliation reports the drift without touching anything, then repairs it.
/// </summary>
public sealed class DriftTests
{
    private const string Model = """
        codeTables:
          creditLevels:
            codes: { "A级": A, "B级": B, "C级": C }
        entities:
          Customer:
            fields:
              creditCode: { type: string, required: true, normalize: [trim, upper] }
              name: { type: string, required: true }
              credit: { type: enum, values: [A, B, C] }
            match: [creditCode]
            sync:
              wins: lww
              deletes: propagate
            mappings:
              db:
                records: customers
                fields: { creditCode: tax_no, name: name, credit: grade }
              crm:
                records: customers
                changes: { connection: crm-changes }
                fields:
                  creditCode: uscc
                  name: company_full_name
                  credit: { path: level, codes: creditLevels }
        """;

    [Fact]
    public Task Drift_in_SQLite_is_reported_by_a_dry_run_and_repaired_by_reconciliation() => RunAsync(SqlSide.Sqlite());

    [Fact]
    public async Task Drift_in_PostgreSQL_is_reported_by_a_dry_run_and_repaired_by_reconciliation()
    {
        var connectionString = Environment.GetEnvironmentVariable("ISTHMUS_TEST_POSTGRES");
        if (string.IsNullOrEmpty(connectionString))
        {
            Assert.Skip("ISTHMUS_TEST_POSTGRES is not set (scripts/pg-up.sh prints a connection string for it)");
        }

        await RunAsync(SqlSide.Postgres(connectionString));
    }

    private static async Task RunAsync(SqlSide db)
    {
        await using var _ = db;
        await db.ExecAsync($"CREATE TABLE {db.Table} (customer_no {db.IdType} PRIMARY KEY, tax_no TEXT, name TEXT, grade TEXT, seq BIGINT NOT NULL DEFAULT 0)");
        await db.ExecAsync($"""
            INSERT INTO {db.Table} (customer_no, tax_no, name, grade, seq) VALUES
              (1, '91310000MA1FL0001X', '甲公司', 'A', 1), (2, '91310000MA1FL0002Y', '乙公司', 'B', 2), (3, '91310000MA1FL0003Z', '丙公司', 'C', 3)
            """);
        var connection = $"""
              db:
                kind: sql
                provider: {db.Provider}
                connectionString: "{db.ConnectionString}"
                tables:
                  customers: {"{"} table: {db.Table}, id: customer_no, cursor: seq {"}"}

            """;
        await using var s = await SyncScenario.StartAsync(new Dictionary<string, string[]> { ["crm"] = ["customers"] }, Model, extraConnections: connection);
        await SyncCalls.LoadAsync(s, "Customer");
        await s.SettleAsync();
        Assert.Equal(3, s.Records("crm").Count);
        var crmOf = s.Records("crm").ToDictionary(r => (string)r["uscc"]!, r => (string)r["id"]!);

        // Behind Isthmus's back: a direct UPDATE, a CRM change whose webhook is lost, a deleted row, and a CRM record added with no notification.
        await db.ExecAsync($"UPDATE {db.Table} SET name = '甲公司改', seq = (SELECT m FROM (SELECT MAX(seq) + 1 AS m FROM {db.Table}) x) WHERE customer_no = 1");
        s.Systems["crm"].SetFaults(new RecordFaults { DropWebhookCount = 1 });
        s.Systems["crm"].Change("customers", [new JsonObject { ["id"] = crmOf["91310000MA1FL0002Y"], ["level"] = "C级" }], notify: true);
        await Wait.UntilAsync(() => s.Systems["crm"].Stats().WebhooksDropped == 1, "the CRM's notification was never dropped");
        await db.ExecAsync($"DELETE FROM {db.Table} WHERE customer_no = 3");
        var outside = s.Systems["crm"].Change("customers", [new JsonObject { ["uscc"] = "91310000MA1FL0004A", ["company_full_name"] = "丁公司", ["level"] = "A级" }])[0];
        await s.SettleAsync();
        var rowsBefore = await db.RowsAsync();
        var crmBefore = string.Join("|", s.Records("crm").Select(r => r.ToJsonString()));
        var writesBefore = s.Writes();

        var dry = await SyncCalls.ReconcileAsync(s, "Customer", dryRun: true);
        List<string> Items(Isthmus.Sync.ReconciliationReport report) =>
            report.Items.Select(i => $"{i.Kind} {i.Connection}/{i.RecordId} " + string.Join(",", i.Fields.Select(f => $"{f.Field}:{(string?)f.Record}<>{(string?)f.Model}"))).Order().ToList();
        List<string> drift =
            [
                $"differing crm/{crmOf["91310000MA1FL0002Y"]} credit:C<>B",
                "differing db/1 name:甲公司改<>甲公司",
                $"extra crm/{outside["id"]} ",
                "missing db/3 ",
            ];
        Assert.Equal(drift, Items(dry));
        Assert.Equal(4, dry.Drift);

        // A dry run changes nothing anywhere.
        await s.SettleAsync();
        Assert.Equal(rowsBefore, await db.RowsAsync());
        Assert.Equal(crmBefore, string.Join("|", s.Records("crm").Select(r => r.ToJsonString())));
        Assert.Equal(writesBefore, s.Writes());
        Assert.Equal(3, await s.CountAsync("entities.Customer"));

        // The real one repairs by policy: changes made behind the back are read in as the changes they are and
        // written across; the deleted row's customer is deleted in the CRM too; the record added outside is linked and created.
        var repair = await SyncCalls.ReconcileAsync(s, "Customer", dryRun: false);
        Assert.Equal(drift, Items(repair));
        Assert.Equal(4, repair.Drift);
        await s.SettleAsync();
        Assert.Equal("甲公司改", (string?)s.Find("crm", "uscc", "91310000MA1FL0001X")!["company_full_name"]);
        Assert.Null(s.Find("crm", "uscc", "91310000MA1FL0003Z"));
        var rows = await db.RowsAsync();
        Assert.Contains("2 91310000MA1FL0002Y 乙公司 C", rows);
        Assert.Contains(rows, r => r.EndsWith(" 91310000MA1FL0004A 丁公司 A", StringComparison.Ordinal));
        Assert.Equal(3, rows.Count);
        Assert.Equal(3, await s.CountAsync("entities.Customer"));
        Assert.Equal(0, (await SyncCalls.ReconcileAsync(s, "Customer", dryRun: true)).Drift);
    }

    /// <summary>The SQL side of the scenario: a SQLite file or a table in the PostgreSQL test database.</summary>
    private sealed class SqlSide : IAsyncDisposable
    {
        private readonly Func<DbConnection> _open;
        private readonly string? _folder;

        private SqlSide(string provider, string connectionString, string table, string idType, Func<DbConnection> open, string? folder)
        {
            Provider = provider;
            ConnectionString = connectionString;
            Table = table;
            IdType = idType;
            _open = open;
            _folder = folder;
        }

        public string Provider { get; }

        public string ConnectionString { get; }

        public string Table { get; }

        public string IdType { get; }

        public static SqlSide Sqlite()
        {
            var folder = Directory.CreateTempSubdirectory("isthmus-drift-").FullName;
            var cs = $"Data Source={Path.Combine(folder, "erp.db")}";
            return new SqlSide("sqlite", cs, "customers", "INTEGER", () => new SqliteConnection(cs), folder);
        }

        public static SqlSide Postgres(string cs) =>
            new("postgresql", cs, "drift_customers_" + Guid.NewGuid().ToString("N")[..8], "BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 100)", () => new NpgsqlConnection(cs), null);

        public async Task ExecAsync(string sql)
        {
            await using var connection = _open();
            await connection.OpenAsync(SyncScenario.Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(SyncScenario.Ct);
        }

        /// <summary>Every row as "id tax_no name grade", by id.</summary>
        public async Task<List<string>> RowsAsync()
        {
            await using var connection = _open();
            await connection.OpenAsync(SyncScenario.Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT customer_no, tax_no, name, grade FROM {Table} ORDER BY customer_no";
            await using var reader = await command.ExecuteReaderAsync(SyncScenario.Ct);
            var rows = new List<string>();
            while (await reader.ReadAsync(SyncScenario.Ct))
            {
                rows.Add(string.Join(" ", Enumerable.Range(0, 4).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            }

            return rows;
        }

        public async ValueTask DisposeAsync()
        {
            if (_folder is null)
            {
                await ExecAsync($"DROP TABLE IF EXISTS {Table}");
                return;
            }

            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
