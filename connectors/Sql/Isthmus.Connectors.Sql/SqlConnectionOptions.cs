namespace Isthmus.Connectors.Sql;

/// <summary>The database engines a <c>sql</c> connection speaks.</summary>
internal enum SqlProvider
{
    PostgreSql,
    Sqlite,
}

/// <summary>A validated <c>sql</c> connection. The connection string is a secret: never put it in a message.</summary>
internal sealed record SqlConnectionOptions(
    SqlProvider Provider,
    string ConnectionString,
    int MaxConcurrency,
    TimeSpan CommandTimeout,
    string? IdempotencyTable,
    IReadOnlyDictionary<string, SqlTableOptions> Tables);

/// <summary>One record type as configured; names are checked against the database on first use.</summary>
/// <param name="Touch"><c>null</c>: decide from the cursor column's type (timestamps are touched, numbers are not).</param>
/// <param name="Lag">Rows whose timestamp cursor is newer than the database clock minus this are left for a later read.</param>
internal sealed record SqlTableOptions(
    string RecordType,
    string Table,
    string Id,
    string Cursor,
    string? Version,
    string? Deleted,
    bool? Touch,
    TimeSpan Lag);
