using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Connectors;
using Isthmus.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.IntegrationTests;

/// <summary>The shipped examples and the demo configuration stay valid.</summary>
public sealed class ExamplesTests
{
    public static TheoryData<string> Examples() => new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples"), "isthmus.yaml", SearchOption.AllDirectories));

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_Validates(string path)
    {
        // Secrets the examples expect from the environment; everything else keeps its written default.
        var result = ConfigurationLoader.Load(path, name => name.EndsWith("_SECRET", StringComparison.Ordinal) || name.EndsWith("_TOKEN", StringComparison.Ordinal)
            ? "example-secret" : Environment.GetEnvironmentVariable(name));
        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        var errors = new List<ConfigError>();
        await using var connectors = ConnectorSet.Build(result.Config!.Connections, IsthmusHost.Factories,
            new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance), errors);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Isthmus.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Isthmus.slnx not found above " + AppContext.BaseDirectory);
    }
}
