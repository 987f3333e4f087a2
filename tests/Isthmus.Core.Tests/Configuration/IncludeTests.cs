using Isthmus.Configuration;

namespace Isthmus.Tests.Configuration;

public class IncludeTests
{
    private const string Flow = "trigger: { connection: oa }\n    steps: [ { transform: t, value: 1 } ]";

    [Fact]
    public void Load_IncludeGlob_ReadsEveryMatchingFileAndListsThem()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include:\n  - flows/*.yaml\n  - shared/connections.yaml\nstore: { path: db/isthmus.db }\n");
        folder.Write("shared/connections.yaml", "connections:\n  oa: { kind: webhook }\ncodeTables:\n  status: { A: approved }\n");
        var b = folder.Write("flows/b.yaml", $"flows:\n  b:\n    {Flow}\n");
        var a = folder.Write("flows/a.yaml", $"flows:\n  a:\n    {Flow}\n");
        folder.Write("flows/notes.txt", "not yaml: [");

        var result = ConfigurationLoader.Load(main, _ => null);

        Assert.Empty(result.Errors);
        var config = result.Config!;
        Assert.Equal(["a", "b"], config.Flows.Select(f => f.Name));
        Assert.Equal([main, a, b, Path.Combine(folder.Root, "shared", "connections.yaml")], config.Files);
        Assert.Equal(Path.Combine(folder.Root, "db", "isthmus.db"), config.Store.Path);
        Assert.Equal("approved", config.Expressions.CodeTables["status"]["A"]);
        Assert.Contains(Path.Combine(folder.Root, "flows", "*.yaml"), config.IncludePatterns);
    }

    [Fact]
    public void Load_ErrorInIncludedFile_NamesThatFileRelativeToTheMainFile()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include: [flows/**/*.yaml]\nconnections: { oa: { kind: webhook } }\n");
        folder.Write("flows/deep/x.yaml", "flows:\n  x:\n    trigger: { connection: erp }\n    steps: [ { transform: t, value: 1 } ]\n");
        var error = Assert.Single(ConfigurationLoader.Load(main, _ => null).Errors);
        Assert.Equal("flows/deep/x.yaml:3:28: flows.x.trigger.connection: there is no connection 'erp'; declared: oa", error.ToString());
    }

    [Fact]
    public void Load_MissingIncludedFile_IsReportedAtTheEntry()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include:\n  - flows/*.yaml\n  - missing.yaml\n");
        var error = Assert.Single(ConfigurationLoader.Load(main, _ => null).Errors);
        Assert.Equal($"isthmus.yaml:3:5: include 'missing.yaml': file not found (looked for {Path.Combine(folder.Root, "missing.yaml")})", error.ToString());
    }

    [Fact]
    public void Load_IncludeCycle_IsReportedWithTheChain()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include: [a.yaml]\n");
        folder.Write("a.yaml", "include: [b.yaml]\n");
        folder.Write("b.yaml", "include:\n  - a.yaml\n");
        var error = Assert.Single(ConfigurationLoader.Load(main, _ => null).Errors);
        Assert.Equal("b.yaml:2:5: include 'a.yaml' makes a cycle: a.yaml → b.yaml → a.yaml; remove one of these includes", error.ToString());
    }

    [Fact]
    public void Load_DefinitionRepeatedAcrossFiles_IsReportedAtTheSecondNamingTheFirst()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include: [more.yaml]\nconnections:\n  oa: { kind: webhook }\ncodeTables:\n  s: { A: a }\nflows:\n  f:\n    " + Flow + "\n");
        folder.Write("more.yaml", "connections:\n  oa: { kind: http }\ncodeTables:\n  s: { B: b }\nflows:\n  f:\n    " + Flow + "\n");
        Assert.Equal(
        [
            "more.yaml:2:3: connection 'oa' is already defined at isthmus.yaml:3:3; rename one of them or remove one definition",
            "more.yaml:4:3: code table 's' is already defined at isthmus.yaml:5:3; rename one of them or remove one definition",
            "more.yaml:6:3: flow 'f' is already defined at isthmus.yaml:7:3; rename one of them or remove one definition",
        ], ConfigurationLoader.Load(main, _ => null).Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Load_HostSectionInIncludedFile_IsRefused()
    {
        using var folder = new ConfigFolder();
        var main = folder.Write("isthmus.yaml", "include: [more.yaml]\n");
        folder.Write("more.yaml", "server:\n  listen: http://127.0.0.1:1\n");
        Assert.Equal("more.yaml:1:1: server: 'server' can only be set in the main configuration file; included files hold include, codeTables, entities, connections and flows",
            Assert.Single(ConfigurationLoader.Load(main, _ => null).Errors).ToString());
    }

    [Fact]
    public void LoadText_Include_ResolvesAgainstTheBaseDirectory()
    {
        using var folder = new ConfigFolder();
        folder.Write("c.yaml", "connections: { oa: { kind: webhook } }\n");
        var result = ConfigurationLoader.LoadText("include: [c.yaml]\n", "inline.yaml", folder.Root, _ => null);
        Assert.True(result.Succeeded);
        Assert.Equal([Path.Combine(folder.Root, "c.yaml")], result.Config!.Files);
    }

    [Fact]
    public void Load_MissingMainFile_IsAnError()
    {
        var result = ConfigurationLoader.Load(Path.Combine(Path.GetTempPath(), "no-such-isthmus.yaml"));
        Assert.False(result.Succeeded);
        Assert.Contains("cannot read the configuration file", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }
}
