namespace Isthmus.Connectors.Sql;

/// <summary>How a column's values travel between JSON and the database, decided once from its declared type.</summary>
internal enum ColumnKind
{
    /// <summary>No declared type (SQLite) or a type with no better fit: values go as JSON gives them.</summary>
    Any,
    Text,
    Integer,
    /// <summary>numeric/decimal/money: exact digits, JSON numbers both ways.</summary>
    Decimal,
    Real,
    Bool,
    /// <summary>A timestamp with a time zone (PostgreSQL timestamptz; SQLite DATETIME/TIMESTAMP text, written in UTC).</summary>
    TimestampTz,
    /// <summary>A timestamp without time zone: the clock time as written.</summary>
    Timestamp,
    Date,
    Time,
    Json,
    Bytes,
    Array,
}

/// <summary>One column of a table as the database describes it.</summary>
/// <param name="Name">The name as the database spells it.</param>
/// <param name="TypeName">The declared type, for messages and PostgreSQL casts (<c>numeric(12,2)</c>, <c>timestamp with time zone</c>).</param>
internal sealed record ColumnInfo(string Name, string TypeName, ColumnKind Kind)
{
    public string Quoted { get; } = SqlNames.Quote(Name);

    public bool IsTimestamp => Kind is ColumnKind.TimestampTz or ColumnKind.Timestamp or ColumnKind.Date;
}
