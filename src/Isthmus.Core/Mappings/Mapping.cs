using Isthmus.Expressions;
using Isthmus.Flows;
using Isthmus.Model;

namespace Isthmus.Mappings;

/// <summary>Which way data moves between the model and one connection.</summary>
public enum SyncDirection
{
    /// <summary>Records are read from the connection into the model only.</summary>
    In,
    /// <summary>The model is written to the connection only.</summary>
    Out,
    /// <summary>Both.</summary>
    Both,
}

/// <summary>How one entity field corresponds to a field of the connection's records.</summary>
/// <param name="Path">Where the value sits in the record (a column, or a dotted JSON path).</param>
/// <param name="In">Turns the record's value (<c>value</c>, with <c>record</c>) into the model's; <c>null</c>: as is.</param>
/// <param name="Out">Turns the model's value (<c>value</c>, with <c>entity</c>) into the record's; <c>null</c>: as is.</param>
/// <param name="Codes">A code table applied after <paramref name="In"/> and before <paramref name="Out"/>.</param>
/// <param name="Direction">Narrows the mapping's direction for this field (a field read but never written, e.g. a system-computed total).</param>
public sealed record FieldMapping(FieldDefinition Field, string[] Path, Expression? In, Expression? Out, CodeTable? Codes, SyncDirection Direction)
{
    /// <summary>The path as written.</summary>
    public string PathText => string.Join('.', Path);

    /// <summary>
    /// For a <c>ref</c> field whose entity is mapped on the same connection: that mapping's record type. The record holds the
    /// referenced record's id there, and the model the referenced entity's id; they are translated through its links.
    /// <c>null</c>: the value passes as it is.
    /// </summary>
    public string? RefRecordType { get; init; }
}

/// <summary>Where real-time change notifications for the records come from: events of another connection (a webhook).</summary>
/// <param name="Record">The record inside the event (default <c>data.record</c>); when it evaluates to null, the record is read by id.</param>
/// <param name="Id">The record's id (default <c>data.recordId</c>).</param>
/// <param name="Deleted">True when the event says the record was deleted (default: the type ends with <c>.deleted</c>).</param>
public sealed record ChangeNotifications(string Connection, EventTypePattern Type, Expression Record, Expression Id, Expression? Version,
    Expression? UpdatedAt, Expression Deleted, Expression? When);

/// <summary>How an entity corresponds to one connection's records, and how and when it is synced there.</summary>
/// <param name="RecordType">The table / collection / record type on the connection.</param>
/// <param name="Poll">Incremental polling interval; <c>null</c>: not polled.</param>
/// <param name="FullSync">Cron of a scheduled full read; <c>null</c>: none.</param>
/// <param name="CreateId">Computes the id of a record Isthmus creates there (from <c>entity</c>); <c>null</c>: the system picks it.</param>
/// <param name="IfMatch">Send the last version seen as the expected version of every update.</param>
public sealed record Mapping(
    string Entity,
    string Connection,
    string RecordType,
    SyncDirection Direction,
    IReadOnlyList<FieldMapping> Fields,
    ChangeNotifications? Changes,
    TimeSpan? Poll,
    Cronos.CronExpression? FullSync,
    Expression? CreateId,
    bool IfMatch,
    Configuration.SourceLocation Location)
{
    /// <summary>Reads records in.</summary>
    public bool Reads => Direction != SyncDirection.Out;

    /// <summary>Writes the model out.</summary>
    public bool Writes => Direction != SyncDirection.In;

    /// <summary>A stable name for messages and metrics: <c>Customer@crm/customers</c>.</summary>
    public string Name => $"{Entity}@{Connection}/{RecordType}";
}
