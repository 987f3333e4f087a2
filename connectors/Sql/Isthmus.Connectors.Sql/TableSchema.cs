namespace Isthmus.Connectors.Sql;

/// <summary>
/// A record type resolved against the database: the real table and column names (quoted), their kinds, and the
/// SQL fragments every statement on it shares. Built once per table on first use.
/// </summary>
internal sealed class TableSchema
{
    // Extra columns at fixed positions in front of the table's own: the id and version as text, then the feed keys.
    public const int IdOrdinal = 0;
    public const int VersionOrdinal = 1;
    public const int CursorOrdinal = 2;
    public const int KeyOrdinal = 3;
    public const int FirstColumn = 4;

    public TableSchema(SqlTableOptions options, string quotedTable, string displayName, IReadOnlyList<ColumnInfo> columns,
        ColumnInfo id, ColumnInfo cursor, ColumnInfo? version, ColumnInfo? deleted, bool touch, SqlDialect dialect)
    {
        Options = options;
        Table = quotedTable;
        DisplayName = displayName;
        Columns = columns;
        Id = id;
        Cursor = cursor;
        Version = version;
        Deleted = deleted;
        Touch = touch;
        var versioned = version ?? cursor;
        Select = string.Join(", ", [
            $"{dialect.AsText(id)} AS \"__isthmus_id\"",
            $"{dialect.AsText(versioned)} AS \"__isthmus_version\"",
            $"{dialect.Key(cursor)} AS \"__isthmus_cursor\"",
            $"{dialect.Key(id)} AS \"__isthmus_key\"",
            .. columns.Select(dialect.SelectColumn)]);
        VersionText = dialect.AsText(versioned);
    }

    public SqlTableOptions Options { get; }

    public string RecordType => Options.RecordType;

    /// <summary>The table as SQL text, quoted (and schema-qualified when configured so).</summary>
    public string Table { get; }

    /// <summary>The table as the database names it, for messages.</summary>
    public string DisplayName { get; }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public ColumnInfo Id { get; }

    public ColumnInfo Cursor { get; }

    public ColumnInfo? Version { get; }

    public ColumnInfo? Deleted { get; }

    /// <summary>Whether writes by Isthmus set the cursor column to "now".</summary>
    public bool Touch { get; }

    /// <summary>The select list: <see cref="FirstColumn"/> extra columns, then every column of the table.</summary>
    public string Select { get; }

    /// <summary>The expression whose text is a record's version: the version column, else the cursor column.</summary>
    public string VersionText { get; }

    /// <summary>The column named <paramref name="name"/>: exactly as written, else the only one that matches ignoring case.</summary>
    public ColumnInfo? Find(string name) => Find(Columns, name);

    public static ColumnInfo? Find(IReadOnlyList<ColumnInfo> columns, string name)
    {
        foreach (var c in columns)
        {
            if (c.Name == name)
            {
                return c;
            }
        }

        var matches = columns.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
