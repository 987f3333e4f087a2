using System.Text.Json.Nodes;

namespace Isthmus.Sync;

/// <summary>
/// Where a field's value came from, and how it ranks for last-writer-wins: the connection (or <c>manual:&lt;who&gt;</c>), the time
/// the change counts as, and how many changes of that same time it was made on top of (<see cref="Step"/>).
/// </summary>
/// <remarks>
/// A change ranks above the value it was made on top of (<see cref="Above"/>), so when one change beats another, every change
/// made on top of the winner beats it too, and the outcome does not depend on the order the changes arrive in.
/// </remarks>
public sealed record FieldOrigin(string Source, DateTimeOffset At)
{
    /// <summary>Changes of the same time this one was made on top of (0 when its own time is later than the value under it).</summary>
    public int Step { get; init; }

    /// <summary>
    /// The rank of a change <paramref name="source"/> made at <paramref name="at"/> on top of a value ranked <paramref name="under"/>
    /// (<c>null</c>: not known): its own time when that is later, otherwise the time of the value under it, one step above it.
    /// </summary>
    public static FieldOrigin Above(string source, DateTimeOffset at, FieldOrigin? under) =>
        under is null || at > under.At ? new FieldOrigin(source, at) : new FieldOrigin(source, under.At) { Step = under.Step + 1 };

    /// <summary>Whether this ranks above <paramref name="other"/>: a later time, then more steps, then the source's name (ordinal).</summary>
    public bool Outranks(FieldOrigin other) =>
        At != other.At ? At > other.At : Step != other.Step ? Step > other.Step : string.CompareOrdinal(Source, other.Source) > 0;
}

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

    /// <summary>The rank of each <see cref="Base"/> value (where known): a change read from the record was made on top of it.</summary>
    public Dictionary<string, FieldOrigin> BaseOrigins { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The rank of each <see cref="Pending"/> value.</summary>
    public Dictionary<string, FieldOrigin> PendingOrigins { get; init; } = new(StringComparer.Ordinal);

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

    /// <summary>The rank of each value it carries (it becomes the rank of the link's base once acknowledged).</summary>
    public IReadOnlyDictionary<string, FieldOrigin>? Origins { get; init; }

    /// <summary>
    /// Refs left out of it when it was sent, with their values (a create on a cycle of creates that wait for each other goes
    /// without them); once it is acknowledged they are written in a write of their own. Not stored.
    /// </summary>
    public JsonObject? LeftOut { get; init; }
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
    IReadOnlyList<Mappings.MappingProblem> Problems, JsonObject? Record, DateTimeOffset CreatedAt, bool Open = true)
{
    /// <summary>The version of the record refused, when it is a number (a later version accepted closes the error).</summary>
    public long? RecordVersion { get; init; }

    /// <summary>The updated-at of the record refused.</summary>
    public DateTimeOffset? RecordUpdatedAt { get; init; }
}
