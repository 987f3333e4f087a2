namespace Isthmus.Connectors.Sql;

/// <summary>Checks a configured record type against the columns the database reported, with errors that name what is wrong.</summary>
internal static class Schema
{
    public static ConnectorException MissingTable(string connection, SqlTableOptions table) =>
        new($"connection '{connection}': table '{table.Table}' (tables.{table.RecordType}) does not exist in the database, or this user cannot see it",
            FailureKind.Rejected);

    public static ColumnInfo Column(string connection, SqlTableOptions table, IReadOnlyList<ColumnInfo> columns, string name, string key,
        string tableName) =>
        TableSchema.Find(columns, name) ?? throw new ConnectorException(
            $"connection '{connection}': column '{name}' (tables.{table.RecordType}.{key}) does not exist in table '{tableName}'; its columns are: {string.Join(", ", columns.Select(c => c.Name))}",
            FailureKind.Rejected);

    public static TableSchema Build(SqlDialect dialect, string connection, SqlTableOptions table, string quotedTable, string displayName,
        IReadOnlyList<ColumnInfo> columns, bool idIsUnique)
    {
        string Where(string key) => $"connection '{connection}': tables.{table.RecordType}.{key}";

        var id = Column(connection, table, columns, table.Id, "id", displayName);
        if (!idIsUnique)
        {
            throw new ConnectorException(
                $"{Where("id")}: column '{id.Name}' of table '{displayName}' is neither the primary key nor alone in a unique index; the id column must identify one row",
                FailureKind.Rejected);
        }

        var cursor = Column(connection, table, columns, table.Cursor, "cursor", displayName);
        if (cursor.Kind is not (ColumnKind.Integer or ColumnKind.Decimal or ColumnKind.Real or ColumnKind.TimestampTz or ColumnKind.Timestamp
            or ColumnKind.Date or ColumnKind.Text or ColumnKind.Any))
        {
            throw new ConnectorException($"{Where("cursor")}: column '{cursor.Name}' is {cursor.TypeName}; a cursor must be a timestamp or a number",
                FailureKind.Rejected);
        }

        var version = table.Version is { } v ? Column(connection, table, columns, v, "version", displayName) : null;
        if (version is not null && version.Kind != ColumnKind.Integer)
        {
            throw new ConnectorException($"{Where("version")}: column '{version.Name}' is {version.TypeName}; a version column must be an integer",
                FailureKind.Rejected);
        }

        var deleted = table.Deleted is { } d ? Column(connection, table, columns, d, "deleted", displayName) : null;
        if (deleted is not null && deleted.Kind is not (ColumnKind.Bool or ColumnKind.Integer) && !deleted.IsTimestamp)
        {
            throw new ConnectorException(
                $"{Where("deleted")}: column '{deleted.Name}' is {deleted.TypeName}; a soft-delete flag must be a boolean, an integer (0/1) or a timestamp (deleted_at)",
                FailureKind.Rejected);
        }

        // Timestamps are touched unless told otherwise; a number only when asked (it then becomes the table's highest plus one).
        var canTouch = dialect.Now(cursor, quotedTable) is not null;
        var touch = table.Touch ?? (cursor.IsTimestamp && canTouch);
        if (touch && !canTouch)
        {
            throw new ConnectorException($"{Where("touch")}: column '{cursor.Name}' is {cursor.TypeName}; only a timestamp or number cursor can be touched",
                FailureKind.Rejected);
        }

        return new TableSchema(table, quotedTable, displayName, columns, id, cursor, version, deleted, touch, dialect);
    }
}
