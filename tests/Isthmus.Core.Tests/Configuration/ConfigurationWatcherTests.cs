using Isthmus.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Tests.Configuration;

public sealed class ConfigurationWatcherTests : IDisposable
{
    private static string Flow(string name) => $"flows:\n  {name}:\n    trigger: {{ connection: oa }}\n    steps: [ {{ transform: t, value: 1 }} ]\n";

    private readonly ConfigFolder _folder = new();
    private readonly FakeTimeProvider _time = new();
    private readonly List<LoadResult> _reloads = [];
    private readonly string _main;
    private readonly ConfigurationWatcher _watcher;

    public ConfigurationWatcherTests()
    {
        _main = _folder.Write("isthmus.yaml", "include: [flows/*.yaml]\nconnections: { oa: { kind: webhook } }\n");
        _folder.Write("flows/a.yaml", Flow("a"));
        var first = ConfigurationLoader.Load(_main, _ => null);
        Assert.True(first.Succeeded);
        _watcher = new ConfigurationWatcher(_main, first, _reloads.Add, _time, environment: _ => null);
    }

    [Fact]
    public void Poll_NoChange_DoesNotReload()
    {
        Tick(3);
        Assert.Empty(_reloads);
    }

    [Fact]
    public void Poll_IncludedFileChanged_ReloadsAfterOneQuietInterval()
    {
        _folder.Write("flows/a.yaml", Flow("renamed"));
        Tick(1);
        Assert.Empty(_reloads);
        Tick(1);
        Assert.Equal(["renamed"], Assert.Single(_reloads).Config!.Flows.Select(f => f.Name));
        Tick(3);
        Assert.Single(_reloads);
    }

    [Fact]
    public void Poll_NewFileMatchingIncludeGlob_Reloads()
    {
        _folder.Write("flows/b.yaml", Flow("b"));
        Tick(2);
        Assert.Equal(["a", "b"], Assert.Single(_reloads).Config!.Flows.Select(f => f.Name));
    }

    [Fact]
    public void Poll_BrokenEdit_HandsOverTheErrorsAndKeepsWatching()
    {
        File.WriteAllText(_main, "include: [flows/*.yaml]\nconnections: { oa: { kind: webhook }\n");
        Tick(2);
        var broken = Assert.Single(_reloads);
        Assert.False(broken.Succeeded);
        Assert.Contains(broken.Errors, e => e.Location.File == "isthmus.yaml");

        File.WriteAllText(_main, "include: [flows/*.yaml]\nconnections: { oa: { kind: webhook } }\n\n");
        Tick(2);
        Assert.True(_reloads[^1].Succeeded);
    }

    [Fact]
    public void Poll_FileKeepsChanging_WaitsUntilItSettles()
    {
        for (var i = 0; i < 3; i++)
        {
            _folder.Write("flows/a.yaml", Flow("a") + new string('#', i + 1) + "\n");
            Tick(1);
        }

        Assert.Empty(_reloads);
        Tick(1);
        Assert.Single(_reloads);
    }

    [Fact]
    public void Dispose_StopsPolling()
    {
        _watcher.Dispose();
        _folder.Write("flows/a.yaml", Flow("renamed"));
        Tick(3);
        Assert.Empty(_reloads);
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _folder.Dispose();
    }

    private void Tick(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }
}
