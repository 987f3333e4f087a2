using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.IntegrationTests.Support;

/// <summary>The repository's own files (examples, docs), and checking a configuration as <c>isthmus validate</c> does.</summary>
internal static class Repository
{
    /// <summary>The folder that holds <c>Isthmus.slnx</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The environment shipped configurations are checked with: a stand-in for every secret and token, the rest as it is.</summary>
    public static string? Environment(string name) =>
        name.EndsWith("_SECRET", StringComparison.Ordinal) || name.EndsWith("_TOKEN", StringComparison.Ordinal) ? "example-secret" : System.Environment.GetEnvironmentVariable(name);

    /// <summary>Every error of a load, its connectors' settings and the checks made once they are built (actions, mappings).</summary>
    public static async Task<IReadOnlyList<ConfigError>> ValidateAsync(LoadResult result)
    {
        var (connectors, errors) = IsthmusHost.BuildConnectors(result, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance));
        if (connectors is not null)
        {
            await connectors.DisposeAsync();
        }

        return errors;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Isthmus.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Isthmus.slnx not found above " + AppContext.BaseDirectory);
    }
}
