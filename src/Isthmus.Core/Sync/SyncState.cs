using System.Text.Json.Nodes;

namespace Isthmus.Sync;

/// <summary>Where a field's current value came from: the connection (or <c>manual:&lt;who&gt;</c>) and the source's time of the change.</summary>
public sealed record FieldOrigin(string Source, DateTimeOffset At);

/// <summary>The unified state of one entity: the agreed value of every field and where each came from.</summary>
public sealed class EntityState(string entity, string id)
{
    /// <summary>The entity's name (<c>Customer</c>).</summary>
    public string Entity { get; } = entity;

    /// <summary>Isthmus's id for it.</summary>
    public string Id { get; } = id;

    /// <summary>Field → canonical value.</summary>
    public Dictionary<string, JsonNode?> Fields { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Field → origin of its value.</summary>
    public Dictionary<string, FieldOrigin> Origins { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Marked deleted by a delete policy.</summary>
    public bool Deleted { get; set; }

    /// <summary>+1 for every accepted change.</summary>
    public long Version { get; set; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The fields as one JSON object (for expressions and the API).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (name, value) in Fields)
        {
            o[name] = value?.DeepClone();
        }

        return o;
    }
}

/// <summary>
/// The link of one entity to its record in one system, with what Isthmus knows that record holds: <see cref="Base"/>
/// (confirmed: read from it or written and acknowledged) and <see cref="Pending"/> (written, not yet acknowledged).
/// A change notification that matches them is Isthmus's own write coming back (an echo), not news.
/// </summary>
public sealed class LinkState(string entity, string entityId, string connection, string recordType)
{
    /// <summary>The entity's name.</summary>
    public string Entity { get; } = entity;

    /// <summary>The entity's id.</summary>
    public string EntityId { get; } = entityId;

    /// <summary>The connection.</summary>
    public string Connection { get; } = connection;

    /// <summary>The record type there.</summary>
    public string RecordType { get; } = recordType;

    /// <summary>The record's id there; <c>null</c> while its creation is on the way.</summary>
    public string? RecordId { get; set; }

    /// <summary>The last version of the record seen.</summary>
    public string? RecordVersion { get; set; }

    /// <summary>The record's last updated-at seen.</summary>
    public DateTimeOffset? RecordUpdatedAt { get; set; }

    /// <summary>Model values the record is known to hold.</summary>
    public Dictionary<string, JsonNode?> Base { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Model values written and not yet acknowledged.</summary>
    public Dictionary<string, JsonNode?> Pending { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Writes not yet finished.</summary>
    public int Outstanding { get; set; }

    /// <summary>How the link was made: <c>sync</c>, <c>match</c> or <c>manual</c>.</summary>
    public string Source { get; set; } = "sync";

    /// <summary>When the link was made.</summary>
    public DateTimeOffset LinkedAt { get; set; }

    /// <summary>When the record was last read or written.</summary>
    public DateTimeOffset SyncedAt { get; set; }
}

/// <summary>What a write does.</summary>
public enum WriteOperation
{
    /// <summary>Create or update.</summary>
    Upsert,
    /// <summary>Delete.</summary>
    Delete,
}

/// <summary>A record write waiting in the sync outbox.</summary>
/// <param name="Values">The model values it carries (they become the link's base once acknowledged).</param>
/// <param name="Payload">The record fields to send.</param>
/// <param name="RecordId">The id to create the record with, when the mapping computes one.</param>
public sealed record SyncWrite(long Id, string Entity, string EntityId, string Connection, string RecordType, WriteOperation Operation,
    string? RecordId, JsonObject Values, JsonObject Payload, int Attempts, DateTimeOffset NextAt, string? LastError)
{
    /// <summary>The version of the record last seen (read from its link when the write is due), for <c>If-Match</c>.</summary>
    public string? ExpectedVersion { get; init; }
}

/// <summary>One side of a conflict.</summary>
public sealed record ConflictCandidate(string Source, JsonNode? Value, DateTimeOffset At);

/// <summary>Two systems changed one field concurrently and the policy says a person decides.</summary>
public sealed record SyncConflict(long Id, string Entity, string EntityId, string Field, IReadOnlyList<ConflictCandidate> Candidates,
    DateTimeOffset CreatedAt, bool Open = true, JsonNode? Resolution = null, string? ResolvedBy = null, DateTimeOffset? ResolvedAt = null);

/// <summary>A record that could not be applied (mapping or validation) or a write that failed for good; kept for a retry after a fix.</summary>
/// <param name="Kind"><c>in</c> (reading a record), <c>out</c> (mapping a write) or <c>write</c> (the system refused it).</param>
/// <param name="Record">The record as received, so a retry needs no source.</param>
public sealed record SyncError(long Id, string Entity, string Connection, string RecordType, string? RecordId, string? EntityId, string Kind,
    IReadOnlyList<Mappings.MappingProblem> Problems, JsonObject? Record, DateTimeOffset CreatedAt, bool Open = true);
