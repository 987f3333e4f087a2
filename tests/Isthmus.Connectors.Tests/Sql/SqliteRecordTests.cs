using Microsoft.Data.Sqlite;

namespace Isthmus.Connectors.Tests.Sql;

/// <summary>The record behaviour on SQLite, one database file per test.</summary>
public sealed class SqliteRecordTests : SqlRecordTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"isthmus-sql-{Guid.NewGuid():N}.db");

    protected override string Provider => "sqlite";

    protected override string ConnectionString => $"Data Source={_file}";

    protected override string UnreachableConnectionString => $"Data Source={Path.Combine(_file + ".missing", "nested", "erp.db")};Mode=ReadWrite";

    protected override string SchemaName => "main";

    protected override string GeneratedId => "INTEGER PRIMARY KEY";

    protected override string Timestamp => "DATETIME";

    protected override string DecimalType => "DECIMAL(18,4)";

    protected override string Boolean => "BOOLEAN";

    // SQLite keeps 15 significant digits in a numeric column (its own rule); money-sized values fit.
    protected override string PreciseDecimal => "12345678.1234";

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    protected override async Task<long> CountAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new SqliteCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(_file + suffix);
        }
    }
}
