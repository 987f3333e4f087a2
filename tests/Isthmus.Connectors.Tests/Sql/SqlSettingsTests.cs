using Isthmus.Configuration;
using Isthmus.Connectors.Sql;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Sql;

public sealed class SqlSettingsTests
{
    private static List<string> Errors(string yaml) =>
        [.. Connections.Create<IRecordConnector>(new SqlConnectorFactory(), yaml).Errors.Select(e => e.ToString())];

    [Fact]
    public async Task Create_FullExampleFromDocs_HasNoErrors()
    {
        var (connector, errors) = Connections.Create<IRecordConnector>(new SqlConnectorFactory(), """
            kind: sql
            provider: postgresql
            connectionString: "Host=127.0.0.1;Port=5432;Username=erp;Password=secret;Database=erp"
            maxConcurrency: 4
            commandTimeout: 30s
            idempotencyTable: isthmus_idempotency
            tables:
              customers:
                table: sales.erp_customer
                id: customer_no
                cursor: updated_at
                version: row_version
                deleted: is_deleted
                touch: true
                lag: 2s
            """);

        Assert.Empty(errors);
        Assert.Equal(["customers"], connector!.RecordTypes);
        await connector.DisposeAsync();
    }

    [Fact]
    public void Create_NothingGiven_ListsEveryRequiredSetting()
    {
        Assert.Equal([
            "isthmus.yaml:1:1: connection 'oa': 'provider' is required",
            "isthmus.yaml:1:1: connection 'oa': 'connectionString' is required",
            "isthmus.yaml:1:1: connection 'oa': 'tables' is required",
        ], Errors("kind: sql"));
    }

    [Fact]
    public void Create_BadValues_PointAtEachOne()
    {
        Assert.Equal([
            "isthmus.yaml:2:11: connection 'oa': provider 'oracle' is not one of: postgresql, sqlite",
            "isthmus.yaml:4:17: connection 'oa': maxConcurrency '0' must be a whole number from 1 to 1000",
            "isthmus.yaml:7:12: connection 'oa': tables.customers.table 'erp; DROP TABLE x' is not a table name: letters, digits and _, optionally schema-qualified (sales.customer)",
            "isthmus.yaml:8:9: connection 'oa': tables.customers.id 'a b' is not a column name: letters, digits and _",
            "isthmus.yaml:7:5: connection 'oa': 'tables.customers.cursor' is required",
            "isthmus.yaml:9:10: connection 'oa': tables.customers.lag '-1s' is not a duration; write e.g. 500ms, 10s, 5m or 1h",
            "isthmus.yaml:10:14: connection 'oa': unknown setting 'tables.customers.versoin'",
        ], Errors("""
            kind: sql
            provider: oracle
            connectionString: "Data Source=x.db"
            maxConcurrency: 0
            tables:
              customers:
                table: "erp; DROP TABLE x"
                id: a b
                lag: -1s
                versoin: v
            """));
    }

    [Fact]
    public void Create_SqliteWithoutDataSource_IsAnError()
    {
        Assert.Equal(["isthmus.yaml:3:19: connection 'oa': connectionString has no Data Source; write e.g. \"Data Source=erp.db\""], Errors("""
            kind: sql
            provider: sqlite
            connectionString: "Mode=ReadOnly"
            tables:
              customers:
                id: id
                cursor: updated_at
            """));
    }

    [Fact]
    public async Task Create_RelativeSqliteFile_IsRelativeToTheConfigurationFile()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"isthmus-sql-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var config = Path.Combine(folder, "isthmus.yaml");
            var map = new SettingMap([
                new("provider", new SettingScalar("sqlite", new SourceLocation(config, 2, 1))),
                new("connectionString", new SettingScalar("Data Source=erp.db", new SourceLocation(config, 3, 1))),
                new("tables", new SettingMap([
                    new("customers", new SettingMap([
                        new("id", new SettingScalar("id", new SourceLocation(config, 6, 5))),
                        new("cursor", new SettingScalar("updated_at", new SourceLocation(config, 7, 5))),
                    ], new SourceLocation(config, 6, 5))),
                ], new SourceLocation(config, 5, 3))),
            ], new SourceLocation(config, 1, 1));
            var errors = new List<ConfigError>();
            await using var sql = (IRecordConnector)new SqlConnectorFactory().Create(new ConnectionSettings("erp", "sql", map, errors),
                new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance) { BaseDirectory = folder })!;
            Assert.Empty(errors);

            // Reading opens (and so creates) the file where the configuration is, whatever the working directory.
            var error = await Assert.ThrowsAsync<ConnectorException>(async () =>
                await sql.GetAsync("customers", "1", TestContext.Current.CancellationToken));
            Assert.Contains("table 'customers' (tables.customers) does not exist", error.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, "erp.db")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
