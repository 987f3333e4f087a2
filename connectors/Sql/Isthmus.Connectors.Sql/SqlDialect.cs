using System.Data.Common;
using System.Text.Json.Nodes;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// What differs between PostgreSQL and SQLite: connecting, reading the schema, the SQL for casts and "now", how JSON
/// values become parameters and columns become JSON, and how errors are classified. Statements themselves are shared.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    public abstract string Name { get; }

    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Resolves a configured record type against the database; a missing table or column is a Rejected error naming it.</summary>
    public abstract Task<TableSchema> DescribeAsync(DbConnection connection, SqlTableOptions table, string connectionName,
        CancellationToken cancellationToken);

    /// <summary>The column as text, as the database writes it (versions and ids are compared as this text).</summary>
    public abstract string AsText(ColumnInfo column);

    /// <summary>The column as a feed key: a value that compares like the column and survives a trip through the cursor.</summary>
    public abstract string Key(ColumnInfo column);

    /// <summary>The column in a select list, aliased to its own name.</summary>
    public abstract string SelectColumn(ColumnInfo column);

    /// <summary>A parameter placeholder that the database reads as the column's type.</summary>
    public abstract string Param(string name, ColumnInfo column);

    /// <summary>A JSON value as a parameter for <paramref name="column"/>; a value it cannot take is a Rejected error.</summary>
    public abstract object ToParameter(JsonNode? value, ColumnInfo column, TableSchema table);

    /// <summary>A record id (text) as a parameter for the id column; <c>null</c> when the column could never hold it.</summary>
    public abstract object? IdParameter(string id, ColumnInfo column);

    /// <summary>A feed key read back from a cursor, as a parameter for <see cref="Param"/> of the column.</summary>
    public abstract object KeyParameter(JsonNode key, ColumnInfo column);

    public abstract JsonNode? ReadColumn(DbDataReader reader, int ordinal, ColumnInfo column);

    public abstract JsonNode? ReadKey(DbDataReader reader, int ordinal);

    /// <summary>"Now" in the column's type, for touching the cursor; <c>null</c> when the column cannot be touched.</summary>
    public abstract string? Now(ColumnInfo column, string table);

    /// <summary>The latest value a timestamp cursor may have to be read now, <paramref name="lag"/> behind the database clock.</summary>
    public abstract string? NotAfter(ColumnInfo column, TimeSpan lag);

    /// <summary>The value that marks a row deleted.</summary>
    public virtual string DeletedValue(ColumnInfo column, string table) =>
        column.IsTimestamp ? Now(column, table)! : column.Kind == ColumnKind.Bool ? "TRUE" : "1";

    /// <summary>A condition that holds while the row is not deleted.</summary>
    public virtual string NotDeleted(ColumnInfo column) =>
        column.IsTimestamp ? $"{column.Quoted} IS NULL" : $"COALESCE({column.Quoted}, 0) = 0";

    /// <summary>The failure for a database exception; <c>null</c> for exceptions that are not the database's.</summary>
    public abstract ConnectorException? Classify(Exception exception, string subject);

    /// <summary>Whether the exception is a unique-key violation (another writer inserted the same key first).</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Whether a CREATE ... IF NOT EXISTS failed only because another session created the object at the same time.</summary>
    public virtual bool IsConcurrentCreate(Exception exception) => IsUniqueViolation(exception);

    /// <summary>SQL that creates the idempotency log when missing.</summary>
    public abstract string CreateIdempotencyTable(string quotedTable);

    /// <summary>SQL that forgets idempotency keys older than the retention (30 days).</summary>
    public abstract string PruneIdempotencyTable(string quotedTable);

    public abstract ValueTask DisposeAsync();
}
