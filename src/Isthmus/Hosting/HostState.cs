using Isthmus.Connectors;
using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Runtime;
using Isthmus.Storage;
using Isthmus.Telemetry;

namespace Isthmus.Hosting;

/// <summary>What the endpoints share: the store, the engine once started, and readiness.</summary>
public sealed class HostState(string configPath, LoadResult initialLoad, ConnectorSet initialConnectors, IServiceProvider services)
{
    private IsthmusEngine? _engine;

    /// <summary>The main configuration file.</summary>
    public string ConfigPath { get; } = configPath;

    /// <summary>The load the host was built with (files and include globs are what the watcher follows).</summary>
    public LoadResult InitialLoad { get; } = initialLoad;

    /// <summary>The configuration the host was built with.</summary>
    public IsthmusConfig InitialConfig => InitialLoad.Config!;

    /// <summary>Its connectors, handed to the engine at start.</summary>
    public ConnectorSet InitialConnectors { get; } = initialConnectors;

    /// <summary>What connectors are built with, at start and on every reload.</summary>
    public required ConnectorContext ConnectorContext { get; init; }

    /// <summary>The store.</summary>
    public IStore Store { get; } = services.GetRequiredService<IStore>();

    /// <summary>The metrics.</summary>
    public IsthmusMetrics Metrics { get; } = services.GetRequiredService<IsthmusMetrics>();

    /// <summary>The engine; throws until started.</summary>
    public IsthmusEngine Engine => _engine ?? throw new InvalidOperationException("Isthmus is still starting.");

    /// <summary>Whether the store is open and the engine runs.</summary>
    public bool Ready => _engine is not null;

    /// <summary>The admin key created at first start, shown once; <c>null</c> afterwards.</summary>
    public string? InitialAdminKey { get; internal set; }

    /// <summary>Errors of the last configuration reload that was refused, if the last reload failed.</summary>
    public IReadOnlyList<ConfigError> LastReloadErrors { get; internal set; } = [];

    internal void SetEngine(IsthmusEngine engine) => _engine = engine;
}
