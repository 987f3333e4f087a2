using Isthmus.Expressions;
using Isthmus.Flows;

namespace Isthmus.Configuration;

/// <summary>A loaded, validated and compiled configuration. Immutable; a reload builds a new one.</summary>
public sealed record IsthmusConfig(
    ServerSettings Server,
    StoreSettings Store,
    DeliverySettings Deliveries,
    IReadOnlyList<ConnectionDefinition> Connections,
    IReadOnlyList<Flow> Flows,
    ExpressionEngine Expressions,
    IReadOnlyList<string> Files)
{
    /// <summary>Every <c>include:</c> entry as an absolute path or glob; the watcher re-runs them to notice new files.</summary>
    public IReadOnlyList<string> IncludePatterns { get; init; } = [];

    /// <summary>The unified model: entities with their fields, rules, sync policies and mappings, and the code tables.</summary>
    public Model.DataModel Model { get; init; } = Isthmus.Model.DataModel.Empty;
}

/// <summary>A connection as declared: its connector kind and raw settings, validated later by the connector's factory.</summary>
public sealed record ConnectionDefinition(string Name, string Kind, SettingMap Settings, SourceLocation Location);

/// <summary><c>server:</c> section.</summary>
/// <param name="Listen">Kestrel URL(s), default <c>http://127.0.0.1:8080</c>.</param>
/// <param name="MaxBodySize">Largest inbound body accepted, default 1 MB.</param>
public sealed record ServerSettings(string Listen, long MaxBodySize)
{
    /// <summary>The defaults.</summary>
    public static ServerSettings Default { get; } = new("http://127.0.0.1:8080", 1 << 20);
}

/// <summary><c>store:</c> section.</summary>
/// <param name="Kind">Only <c>sqlite</c> for now.</param>
/// <param name="Path">The SQLite file, relative to the main configuration file; default <c>isthmus.db</c>.</param>
/// <param name="Synchronous"><c>full</c> (fsync each group commit; survives power loss) or <c>normal</c> (survives a process crash).</param>
/// <param name="Retention">How long processed events are kept; default 7 days.</param>
public sealed record StoreSettings(string Kind, string Path, string Synchronous, TimeSpan Retention)
{
    /// <summary>The defaults.</summary>
    public static StoreSettings Default { get; } = new("sqlite", "isthmus.db", "full", TimeSpan.FromDays(7));
}

/// <summary><c>deliveries:</c> section: the retry schedule every delivery follows unless its connection overrides it.</summary>
/// <param name="MaxAttempts">Attempts before a delivery becomes a dead letter; default 8.</param>
/// <param name="BaseDelay">First retry delay; doubled each attempt with full jitter; default 1 s.</param>
/// <param name="MaxDelay">Cap on one delay; default 5 min.</param>
public sealed record DeliverySettings(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>The defaults.</summary>
    public static DeliverySettings Default { get; } = new(8, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
}
