using Isthmus.Configuration;

namespace Isthmus.Tests.Configuration;

/// <summary>Loads configuration text and reads errors in the <c>file:line:col: message</c> form people see.</summary>
internal static class Configs
{
    public const string Connections = """
        connections:
          oa: { kind: webhook }
          erp: { kind: http, baseUrl: "http://127.0.0.1:9100" }

        """;

    public static LoadResult Load(string yaml, Func<string, string?>? environment = null, string? directory = null) =>
        ConfigurationLoader.LoadText(yaml, "isthmus.yaml", directory ?? Path.GetTempPath(), environment ?? (_ => null));

    public static IsthmusConfig Valid(string yaml, Func<string, string?>? environment = null)
    {
        var result = Load(yaml, environment);
        Assert.Equal("", string.Join("\n", result.Errors));
        Assert.True(result.Succeeded);
        return result.Config!;
    }

    /// <summary>The errors of a load that must fail, as <c>file:line:col: message</c> lines.</summary>
    public static string[] Errors(string yaml, Func<string, string?>? environment = null, string? directory = null)
    {
        var result = Load(yaml, environment, directory);
        Assert.Null(result.Config);
        Assert.NotEmpty(result.Errors);
        return [.. result.Errors.Select(e => e.ToString())];
    }

    /// <summary>A flow with one transform step, wrapped with the two standard connections.</summary>
    public static string Flow(string body) => Connections + "flows:\n  f:\n" + string.Join("\n", body.Split('\n').Select(l => "    " + l)) + "\n";
}

/// <summary>A temporary folder of configuration files, deleted on dispose.</summary>
internal sealed class ConfigFolder : IDisposable
{
    public ConfigFolder() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "isthmus-config-" + Guid.NewGuid().ToString("N"));

    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
