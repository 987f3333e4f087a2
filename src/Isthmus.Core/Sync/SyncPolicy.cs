namespace Isthmus.Sync;

/// <summary>Who wins when a field changed in a system.</summary>
public enum WinnerKind
{
    /// <summary>The newest change wins, by the source's own timestamp; ties broken by connection name, so every node decides alike.</summary>
    LastWriter,
    /// <summary>One named connection is the source of truth: changes from any other are overwritten back.</summary>
    Owner,
    /// <summary>Concurrent changes are queued as a conflict for a person; resolving it applies the choice everywhere.</summary>
    Manual,
}

/// <summary>The rule for one field.</summary>
/// <param name="Owner">The connection that owns the field, for <see cref="WinnerKind.Owner"/>.</param>
public sealed record FieldPolicy(WinnerKind Winner, string? Owner)
{
    /// <summary>Last writer wins.</summary>
    public static FieldPolicy LastWriter { get; } = new(WinnerKind.LastWriter, null);

    /// <inheritdoc/>
    public override string ToString() => Winner switch
    {
        WinnerKind.Owner => Owner!,
        WinnerKind.Manual => "manual",
        _ => "lww",
    };
}

/// <summary>What a record deleted in one system does.</summary>
public enum DeletePolicy
{
    /// <summary>The entity is marked deleted and its records are deleted in every system it is written to.</summary>
    Propagate,
    /// <summary>The entity is marked deleted; other systems keep their records.</summary>
    Soft,
    /// <summary>Nothing happens; reconciliation will report the record as missing.</summary>
    Ignore,
}

/// <summary>An entity's sync policy: a default winner, per-field winners, deletes, and a reconciliation schedule.</summary>
public sealed record SyncPolicy(FieldPolicy Default, IReadOnlyDictionary<string, FieldPolicy> Fields, DeletePolicy Deletes, Cronos.CronExpression? Reconcile)
{
    /// <summary>The time zone the entity's crons (<c>sync.reconcile</c>, each mapping's <c>fullSync</c>) are read in.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Last writer wins everywhere, deletes soft, no scheduled reconciliation.</summary>
    public static SyncPolicy Standard { get; } = new(FieldPolicy.LastWriter, new Dictionary<string, FieldPolicy>(), DeletePolicy.Soft, null);

    /// <summary>The rule for <paramref name="field"/>.</summary>
    public FieldPolicy For(string field) => Fields.GetValueOrDefault(field) ?? Default;
}
