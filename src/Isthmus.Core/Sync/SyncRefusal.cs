namespace Isthmus.Sync;

/// <summary>What kind of refusal a by-hand sync operation gave; chosen where the refusal is made, so callers never read it from the wording.</summary>
public enum SyncRefusalReason
{
    /// <summary>What the operation names does not exist: the entity type, the entity, the record, the conflict, the sync error, the link.</summary>
    NotFound,

    /// <summary>It exists, but its state does not allow the operation (not deleted, already resolved, still refused, no longer in the model).</summary>
    Conflict,

    /// <summary>The request itself is wrong: a connection the entity is not mapped to, a record type to name, a resolution the conflict cannot take.</summary>
    Invalid,
}

/// <summary>Why a by-hand sync operation (link, unlink, resolve, retry, revive) did nothing; <see cref="Message"/> is for the person who asked.</summary>
public sealed record SyncRefusal(SyncRefusalReason Reason, string Message)
{
    /// <summary>What the operation names does not exist.</summary>
    public static SyncRefusal NotFound(string message) => new(SyncRefusalReason.NotFound, message);

    /// <summary>Its state does not allow the operation.</summary>
    public static SyncRefusal Conflict(string message) => new(SyncRefusalReason.Conflict, message);

    /// <summary>The request itself is wrong.</summary>
    public static SyncRefusal Invalid(string message) => new(SyncRefusalReason.Invalid, message);

    /// <inheritdoc/>
    public override string ToString() => $"{Reason}: {Message}";
}
