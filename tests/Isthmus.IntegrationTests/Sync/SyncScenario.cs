using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;
using Isthmus.IntegrationTests.Support;
using Isthmus.Storage;
using Isthmus.Sync;

namespace Isthmus.IntegrationTests.Sync;

/// <summary>
/// The real Isthmus server on a loopback port with record-system emulators whose signed change webhooks point at it.
/// Each emulator <c>name</c> is reached by the <c>http</c> connection <c>name</c> and notifies the <c>webhook</c>
/// connection <c>name-changes</c>.
/// </summary>
internal sealed class SyncScenario : IAsyncDisposable
{
    public const string WebhookSecret = "records-secret";

    private SyncScenario(IsthmusApplication app, IReadOnlyDictionary<string, RecordsEmulator> systems)
    {
        App = app;
        Systems = systems;
    }

    public IsthmusApplication App { get; }

    public IReadOnlyDictionary<string, RecordsEmulator> Systems { get; }

    public SyncEngine Engine => App.State.Engine.Sync;

    public ISyncStore Store => Engine.Store;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts one emulator per entry of <paramref name="systems"/> (name → record types such as <c>customers:C-</c>),
    /// lets <paramref name="seed"/> put records in them before Isthmus first sees them, then starts Isthmus with the
    /// connections followed by <paramref name="model"/> (top-level YAML: codeTables, entities, more connections under
    /// <c>extraConnections</c>), and subscribes it to every emulator's changes.
    /// </summary>
    public static async Task<SyncScenario> StartAsync(IReadOnlyDictionary<string, string[]> systems, string model,
        Action<IReadOnlyDictionary<string, RecordsEmulator>>? seed = null, string extraConnections = "", Func<string, string>? configure = null)
    {
        var emulators = new Dictionary<string, RecordsEmulator>(StringComparer.Ordinal);
        foreach (var (name, types) in systems)
        {
            var emulator = new RecordsEmulator(new RecordsEmulatorOptions { Types = types });
            await emulator.StartAsync(Ct);
            emulators[name] = emulator;
        }

        seed?.Invoke(emulators);
        var connections = string.Concat(emulators.Select(e =>
            e.Value.HttpConnection().ToYaml(e.Key) + RecordsEmulator.WebhookConnection(WebhookSecret).ToYaml(e.Key + "-changes")));
        var yaml = $"""
            server:
              listen: http://127.0.0.1:0
            store:
              path: isthmus.db
              synchronous: normal
            deliveries:
              maxAttempts: 3
              baseDelay: 50ms
              maxDelay: 200ms
            connections:
            {connections}{extraConnections}
            {model}
            """;
        var app = await IsthmusApplication.StartWithConfigAsync(configure?.Invoke(yaml) ?? yaml);
        foreach (var (name, emulator) in emulators)
        {
            emulator.Subscribe(new Uri(app.Http.BaseAddress!, $"hooks/{name}-changes").ToString(), WebhookSecret);
        }

        return new SyncScenario(app, emulators);
    }

    /// <summary>API writes each emulator took, per name.</summary>
    public Dictionary<string, long> Writes() => Systems.ToDictionary(s => s.Key, s => s.Value.Stats().Writes.Values.Sum());

    /// <summary>The live records of <paramref name="system"/>'s <paramref name="type"/> (tombstones left out).</summary>
    public List<JsonObject> Records(string system, string type = "customers") =>
        Systems[system].Records(type).Where(r => r["deleted"] is null || !r["deleted"]!.GetValue<bool>()).ToList();

    /// <summary>The one live record of <paramref name="system"/> whose <paramref name="field"/> is <paramref name="value"/>.</summary>
    public JsonObject? Find(string system, string field, string value, string type = "customers") =>
        Records(system, type).SingleOrDefault(r => (string?)r[field] == value);

    public async Task<long> CountAsync(string key) => (await Store.CountsAsync(Ct)).GetValueOrDefault(key);

    /// <summary>
    /// Waits until nothing is moving: no change notification on its way from an emulator, no event waiting in Isthmus,
    /// no queued write, twice in a row with the same emulator counters (a write acknowledged between two looks shows).
    /// </summary>
    public async Task SettleAsync()
    {
        string? previous = null;
        await Wait.UntilAsync(async () =>
        {
            var quiet = Systems.Values.All(s => s.Stats().WebhooksPending == 0)
                && (await App.State.Store.ReadPendingEventsAsync(0, 1, Ct)).Count == 0
                && await CountAsync("writes.pending") == 0
                && Systems.Values.All(s => s.Stats().WebhooksPending == 0);
            var now = string.Join(";", Systems.Select(s => $"{s.Key}:{s.Value.Stats().Writes.Values.Sum()}:{s.Value.Stats().WebhooksSent}"));
            var settled = quiet && previous == now;
            previous = quiet ? now : null;
            return settled;
        }, "the systems and Isthmus never settled");
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        foreach (var emulator in Systems.Values)
        {
            await emulator.DisposeAsync();
        }
    }
}

/// <summary>Waits on conditions with a deadline, never on the clock alone.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string failure, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string failure, int seconds = 30) =>
        UntilAsync(() => Task.FromResult(condition()), failure, seconds);
}

/// <summary>
/// The sync operations a user reaches through the sync API (load, reconcile, resolve, retry, conflicts, errors), called
/// in one place so the scenarios can move to the HTTP API without changing.
/// </summary>
internal static class SyncCalls
{
    /// <summary>Loads every connection of <paramref name="entity"/> and waits for the load to end; fails unless it succeeded.</summary>
    public static async Task<IReadOnlyList<SyncJob>> LoadAsync(SyncScenario s, string entity, string? connection = null)
    {
        var jobs = s.Engine.StartLoad(entity, connection);
        await Task.WhenAll(jobs.Select(j => j.Completion));
        Assert.All(jobs, j => Assert.True(j.Status == "done", $"load of {j.Connection}: {j.Status} {j.Error}"));
        return jobs;
    }

    public static Task<ReconciliationReport> ReconcileAsync(SyncScenario s, string entity, bool dryRun) =>
        s.Engine.ReconcileAsync(entity, dryRun, SyncScenario.Ct);

    public static async Task ResolveAsync(SyncScenario s, long conflict, string source)
    {
        var problem = await s.Engine.ResolveAsync(conflict, null, source, "tester", SyncScenario.Ct);
        Assert.Null(problem);
    }

    public static Task<SyncRefusal?> RetryErrorAsync(SyncScenario s, long error) => s.Engine.RetryErrorAsync(error, SyncScenario.Ct);

    public static async Task<IReadOnlyList<SyncConflict>> OpenConflictsAsync(SyncScenario s) => await s.Store.ConflictsAsync(openOnly: true, 100, SyncScenario.Ct);

    public static async Task<IReadOnlyList<SyncError>> OpenErrorsAsync(SyncScenario s) => await s.Store.ErrorsAsync(openOnly: true, 100, SyncScenario.Ct);
}
