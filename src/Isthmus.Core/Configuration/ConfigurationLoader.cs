using Isthmus.Expressions;

namespace Isthmus.Configuration;

/// <summary>The outcome of a load: a configuration, or every error found (never both).</summary>
public sealed record LoadResult(IsthmusConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>Whether the load succeeded.</summary>
    public bool Succeeded => Config is not null && Errors.Count == 0;

    /// <summary>Every file read (full paths), also when the load failed, so a fix to any of them is noticed.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Every <c>include:</c> entry as an absolute path or glob, so new files matching a glob are noticed.</summary>
    public IReadOnlyList<string> IncludePatterns { get; init; } = [];

    /// <summary>The folder of the main configuration file: relative paths in settings are relative to it.</summary>
    public string? BaseDirectory { get; init; }
}

/// <summary>
/// Reads <c>isthmus.yaml</c> and its includes, substitutes <c>${ENV}</c> references, validates and compiles
/// every flow, and reports every problem with <c>file:line:col</c>.
/// </summary>
public static class ConfigurationLoader
{
    /// <summary>Loads from a file.</summary>
    /// <param name="environment">Variable lookup for <c>${NAME}</c>; defaults to the process environment.</param>
    public static LoadResult Load(string path, Func<string, string?>? environment = null)
    {
        var fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var error = new ConfigError(new SourceLocation(path, 0, 0), $"cannot read the configuration file: {e.Message}");
            return new LoadResult(null, [error]) { Files = [fullPath] };
        }

        return Build(text, Path.GetFileName(fullPath), fullPath, Path.GetDirectoryName(fullPath)!, environment);
    }

    /// <summary>Loads from text (for tests and the API's validate endpoint); includes resolve relative to <paramref name="baseDirectory"/>.</summary>
    public static LoadResult LoadText(string yaml, string fileName, string baseDirectory, Func<string, string?>? environment = null) =>
        Build(yaml, fileName, null, Path.GetFullPath(baseDirectory), environment);

    private static LoadResult Build(string text, string displayName, string? fullPath, string baseDirectory, Func<string, string?>? environment)
    {
        var errors = new List<ConfigError>();
        var sources = ConfigurationSources.Read(text, displayName, fullPath, baseDirectory, environment ?? Environment.GetEnvironmentVariable, errors);
        var definitions = Definitions.Collect(sources.Documents, errors);
        var engine = new ExpressionEngine(definitions.CodeTables);
        var main = sources.Documents.FirstOrDefault(d => d.IsMain);
        var root = new SettingsSection(main?.Root ?? new SettingMap([], SourceLocation.None), "", $"the top level of {displayName}", errors);
        var server = HostSettingsReader.Server(root);
        var store = HostSettingsReader.Store(root, baseDirectory);
        var deliveries = HostSettingsReader.Deliveries(root);

        var connectionNames = definitions.Connections.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var reader = new FlowReader(engine, connectionNames, errors);
        var flows = definitions.Flows.Select(f => reader.Read(f.Key, f.Value)).OfType<Flows.Flow>().ToList();
        var model = new ModelReader(engine, definitions.Tables, connectionNames, errors).Read(definitions.Entities);
        EntityLookupCheck.Check(flows, model, errors);

        // The same problem can be found twice (e.g. a key read by two readers); show it once, in file order.
        var distinct = errors.Distinct().OrderBy(e => e.Location.File == displayName ? 0 : 1)
            .ThenBy(e => e.Location.File, StringComparer.Ordinal).ThenBy(e => e.Location.Line).ThenBy(e => e.Location.Column).ToList();
        var config = distinct.Count == 0
            ? new IsthmusConfig(server, store, deliveries, definitions.Connections, flows, engine, sources.Files) { IncludePatterns = sources.IncludePatterns, Model = model }
            : null;
        return new LoadResult(config, distinct) { Files = sources.Files, IncludePatterns = sources.IncludePatterns, BaseDirectory = baseDirectory };
    }
}
