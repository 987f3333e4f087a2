using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Connectors;
using Isthmus.Connectors.Http;
using Isthmus.Connectors.Sql;
using Isthmus.Runtime;
using Isthmus.Storage.Sqlite;
using Isthmus.Sync;
using Isthmus.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Benchmarks.Sync;

/// <summary>Options of <c>Isthmus.Benchmarks sync</c>.</summary>
public sealed record SyncOptions
{
    public int Records { get; init; } = 100_000;
    public bool Quick { get; init; }
    public string? Postgres { get; init; }
    public bool SqliteSource { get; init; } = true;
    public string Synchronous { get; init; } = "full";
    public string? OutputPath { get; init; }
    public string? Label { get; init; }
    public string Executable { get; init; } = "";

    /// <summary>Only the initial load, for profiling it.</summary>
    public bool LoadOnly { get; init; }

    /// <summary>List the types allocated most over the whole run.</summary>
    public bool Allocations { get; init; }

    public const string Usage = """
        usage: Isthmus.Benchmarks sync [--records N] [--quick] [--postgres <Npgsql connection string>] [--no-sqlite]
                                       [--synchronous full|normal] [--load-only] [--allocations] [--out <report.md>] [--label <text>]
        """;

    public static SyncOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SyncOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--records" => options with { Records = int.TryParse(Value(), out var n) && n >= 200 ? n : throw new ArgumentException("--records needs a number of at least 200") },
                "--quick" => options with { Quick = true, Records = 10_000 },
                "--postgres" => options with { Postgres = Value() is { Length: > 0 } pg ? pg : null },
                "--no-sqlite" => options with { SqliteSource = false },
                "--load-only" => options with { LoadOnly = true },
                "--allocations" => options with { Allocations = true },
                "--synchronous" => options with { Synchronous = Value() is "normal" ? "normal" : "full" },
                "--out" => options with { OutputPath = Path.GetFullPath(Value()) },
                "--label" => options with { Label = Value() },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return options;
    }
}

/// <summary>One measured step of a scenario.</summary>
public sealed record SyncPhase(string Name, TimeSpan Elapsed, string Outcome, CpuShare Cpu, string LoadBefore, string LoadAfter,
    IReadOnlyDictionary<string, (long Calls, TimeSpan Time, long Items)> Store, long ApiCalls, long ApiWrites, long ApiReads, GcShare Gc)
{
    public double Rate(int records) => records / Elapsed.TotalSeconds;
}

/// <summary>
/// What the engine's process allocated and how often it collected during a phase: unlike times, allocations hardly move with
/// the machine's load, so they show whether a change made the engine do less.
/// </summary>
public readonly record struct GcShare(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static GcShare Start() => Now();

    public GcShare Stop()
    {
        var now = Now();
        return new(now.AllocatedBytes - AllocatedBytes, now.Gen0 - Gen0, now.Gen1 - Gen1, now.Gen2 - Gen2, now.Paused - Paused);
    }

    private static GcShare Now() =>
        new(GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
}

/// <summary>A scenario's results: one source database, every phase.</summary>
public sealed class SyncScenarioResult(string source, int records)
{
    public string Source { get; } = source;
    public int Records { get; } = records;
    public TimeSpan Seed { get; set; }
    public List<SyncPhase> Phases { get; } = [];
    public List<string> Errors { get; } = [];
    public List<string> Notes { get; } = [];
    public TimeSpan? LoadRead { get; set; }
}

/// <summary>
/// The two-way sync benchmark: an initial load of N records from a SQL table into the CRM emulator, then reconciliation
/// of the N linked records (a dry run without drift, a dry run with ~1% drift injected behind Isthmus's back, the repair,
/// and a dry run that checks the repair left no drift). The sync engine runs in this process with the real store and
/// connectors; the emulator runs as a child process.
/// </summary>
public sealed class SyncBenchmark(SyncOptions options, Action<string> log)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("isthmus-syncbench-").FullName;

    public async Task<SyncScenarioResult> RunAsync(SyncScenario scenario, CancellationToken cancellationToken)
    {
        var result = new SyncScenarioResult(scenario.Provider, scenario.Records);
        var folder = Path.Combine(WorkDirectory, scenario.Provider);
        Directory.CreateDirectory(folder);
        if (scenario.Provider == "sqlite")
        {
            scenario = SyncScenario.Sqlite(folder, scenario.Records);
        }

        log($"{scenario.Provider}: seeding {scenario.Records:N0} rows");
        var seedStart = Stopwatch.GetTimestamp();
        await scenario.SeedAsync(cancellationToken);
        result.Seed = Stopwatch.GetElapsedTime(seedStart);

        await using var emulator = ServerProcess.Start("records emulator", "dotnet",
            [options.Executable, "records-emulator", "--parent", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            folder, Path.Combine(folder, "emulator.log"));
        var line = await emulator.WaitForLineAsync(l => l.StartsWith(ReferenceServers.ListeningPrefix, StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
        var emulatorUrl = line[ReferenceServers.ListeningPrefix.Length..].Trim();
        using var control = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(emulatorUrl), Timeout = TimeSpan.FromSeconds(60) };

        var configPath = Path.Combine(folder, "isthmus.yaml");
        await File.WriteAllTextAsync(configPath, scenario.ConfigYaml(emulatorUrl, options.Synchronous), cancellationToken);
        var loaded = ConfigurationLoader.Load(configPath);
        if (!loaded.Succeeded)
        {
            throw new BenchmarkException("the sync benchmark's configuration has errors: " + string.Join("; ", loaded.Errors));
        }

        var config = loaded.Config!;
        var context = new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance);
        var errors = new List<ConfigError>();
        await using var connectors = ConnectorSet.Build(config.Connections, [new HttpConnectorFactory(), new SqlConnectorFactory()], context, errors)
            ?? throw new BenchmarkException("the sync benchmark's connections have errors: " + string.Join("; ", errors));
        await using var sqlite = new SqliteStore(config.Store.Path, config.Store.Synchronous);
        await sqlite.InitializeAsync(cancellationToken);
        var store = new CountingSyncStore(sqlite.Sync);
        using var metrics = new IsthmusMetrics(TimeProvider.System);
        var active = new ActiveConfiguration(config, connectors, new Dictionary<string, bool>());
        var engine = new SyncEngine(store, () => active, metrics, TimeProvider.System, NullLoggerFactory.Instance);
        engine.Start();

        try
        {
            await LoadAsync(scenario, engine, store, control, emulator, result, cancellationToken);
            if (options.LoadOnly)
            {
                return result;
            }

            await ReconcileAsync("reconcile, dry run, no drift", engine, store, control, emulator, result, dryRun: true, expectDrift: 0, cancellationToken);

            var crmDrift = scenario.CrmDrift().ToList();
            var items = new JsonArray([.. crmDrift.Select(i => (JsonNode)new JsonObject
            {
                ["id"] = SyncScenario.Code(i),
                ["fields"] = new JsonObject { ["companyName"] = $"Customer {i} Holdings (renamed in the CRM)" },
            })]);
            using (var response = await control.PostAsJsonAsync("/_emulator/records/customers", new JsonObject { ["notify"] = false, ["items"] = items }, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
            }

            var erpDrift = await scenario.DriftErpAsync(cancellationToken);
            var drift = crmDrift.Count + erpDrift;
            result.Notes.Add($"drift injected: {crmDrift.Count:N0} CRM records renamed through the emulator's control API (no notification), "
                + $"{erpDrift:N0} ERP rows moved to another city by an UPDATE (new updated_at); {drift:N0} of {scenario.Records:N0} records ({100.0 * drift / scenario.Records:0.##}%)");

            // A SQL change feed keeps 1 s (its lag) behind the database clock; a change younger than that is not visible yet.
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            await ReconcileAsync("reconcile, dry run, ~1% drift", engine, store, control, emulator, result, dryRun: true, expectDrift: drift, cancellationToken);
            await ReconcileAsync("reconcile, repair", engine, store, control, emulator, result, dryRun: false, expectDrift: drift, cancellationToken);
            await ReconcileAsync("reconcile, dry run after repair", engine, store, control, emulator, result, dryRun: true, expectDrift: 0, cancellationToken);
        }
        catch (BenchmarkException e)
        {
            result.Errors.Add(e.Message);
        }
        finally
        {
            await engine.DisposeAsync();
            await scenario.DropAsync();
        }

        return result;
    }

    async Task LoadAsync(SyncScenario scenario, SyncEngine engine, CountingSyncStore store, HttpClient control, ServerProcess emulator,
        SyncScenarioResult result, CancellationToken cancellationToken)
    {
        log($"{scenario.Provider}: initial load of {scenario.Records:N0} records, erp → crm");
        var phase = await MeasureAsync("initial load (read, map, store, write, acknowledged)", store, control, emulator, async () =>
        {
            var start = Stopwatch.GetTimestamp();
            var job = engine.StartLoad(SyncScenario.Entity, "erp").Single();
            await job.Completion.WaitAsync(TimeSpan.FromMinutes(30), cancellationToken);
            result.LoadRead = Stopwatch.GetElapsedTime(start);
            if (job.Error is { } error)
            {
                throw new BenchmarkException($"the load failed: {error}");
            }

            var pending = await DrainAsync(store, TimeSpan.FromMinutes(30), cancellationToken);
            var stats = await StatsAsync(control, cancellationToken);
            var written = stats.GetProperty("writes").TryGetProperty("customers", out var w) ? w.GetInt64() : 0;
            var counts = await store.CountsAsync(cancellationToken);
            return $"read {job.Read:N0} in {job.Pages:N0} pages ({job.Summary.Created:N0} created, {job.Summary.Rejected:N0} rejected); "
                + $"{written:N0} records written in the CRM; {counts.GetValueOrDefault("links.crm"):N0} CRM links; {pending:N0} writes pending; "
                + $"{counts.GetValueOrDefault("errors.open"):N0} open errors";
        }, cancellationToken);
        result.Phases.Add(phase);
        log($"  {phase.Elapsed.TotalSeconds:0.0} s, {phase.Rate(scenario.Records):N0} records/s: {phase.Outcome}");
    }

    async Task ReconcileAsync(string name, SyncEngine engine, CountingSyncStore store, HttpClient control, ServerProcess emulator,
        SyncScenarioResult result, bool dryRun, long expectDrift, CancellationToken cancellationToken)
    {
        log($"{result.Source}: {name}");
        var phase = await MeasureAsync(name, store, control, emulator, async () =>
        {
            var report = await engine.ReconcileAsync(SyncScenario.Entity, dryRun, cancellationToken).WaitAsync(TimeSpan.FromMinutes(30), cancellationToken);
            var reconciled = Stopwatch.GetTimestamp();
            var parts = report.Connections.Select(c =>
                $"{c.Connection}: {c.Checked:N0} checked, {c.Same:N0} same, {c.Differing:N0} differing, {c.Missing:N0} missing, {c.Extra:N0} extra, {c.InFlight:N0} in flight{(dryRun ? "" : $", {c.Repaired:N0} repaired")}");
            var outcome = string.Join("; ", parts);
            if (!dryRun)
            {
                var pending = await DrainAsync(store, TimeSpan.FromMinutes(10), cancellationToken);
                outcome += $"; repair writes acknowledged {Stopwatch.GetElapsedTime(reconciled).TotalSeconds:0.00} s after the reconciliation returned ({pending} pending)";
            }

            if (report.Drift != expectDrift)
            {
                result.Errors.Add($"{name}: expected {expectDrift:N0} records out of step, the report says {report.Drift:N0}");
            }

            return outcome;
        }, cancellationToken);
        result.Phases.Add(phase);
        log($"  {phase.Elapsed.TotalSeconds:0.00} s: {phase.Outcome}");
    }

    /// <summary>Waits until the outbox is empty; returns what is left when the time runs out.</summary>
    static async Task<long> DrainAsync(CountingSyncStore store, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long pending;
        do
        {
            pending = (await store.CountsAsync(cancellationToken)).GetValueOrDefault("writes.pending");
            if (pending == 0)
            {
                return 0;
            }

            await Task.Delay(20, cancellationToken);
        }
        while (Stopwatch.GetTimestamp() < deadline);

        return pending;
    }

    static async Task<SyncPhase> MeasureAsync(string name, CountingSyncStore store, HttpClient control, ServerProcess emulator, Func<Task<string>> run,
        CancellationToken cancellationToken)
    {
        var loadBefore = MachineInfo.Read().LoadAverage;
        var storeBefore = store.Snapshot();
        var statsBefore = await StatsAsync(control, cancellationToken);
        var gc = GcShare.Start();
        long start = Stopwatch.GetTimestamp();
        var (outcome, cpu) = await CpuShare.MeasureAsync(emulator, run);
        var elapsed = Stopwatch.GetElapsedTime(start);
        gc = gc.Stop();
        var statsAfter = await StatsAsync(control, cancellationToken);
        var storeAfter = store.Snapshot();
        var delta = storeAfter.ToDictionary(kv => kv.Key, kv =>
        {
            var b = storeBefore.GetValueOrDefault(kv.Key);
            return (kv.Value.Calls - b.Calls, kv.Value.Time - b.Time, kv.Value.Items - b.Items);
        });
        return new SyncPhase(name, elapsed, outcome, cpu, loadBefore, MachineInfo.Read().LoadAverage,
            delta.Where(kv => kv.Value.Item1 > 0).ToDictionary(kv => kv.Key, kv => kv.Value),
            Total(statsAfter, "apiCalls") - Total(statsBefore, "apiCalls"),
            Total(statsAfter, "writes") - Total(statsBefore, "writes"),
            Total(statsAfter, "reads") - Total(statsBefore, "reads"), gc);
    }

    static long Total(JsonElement stats, string property) => !stats.TryGetProperty(property, out var value) ? 0
        : value.ValueKind == JsonValueKind.Number ? value.GetInt64()
        : value.ValueKind == JsonValueKind.Object ? value.EnumerateObject().Sum(p => p.Value.GetInt64()) : 0;

    static async Task<JsonElement> StatsAsync(HttpClient control, CancellationToken cancellationToken) =>
        await control.GetFromJsonAsync<JsonElement>("/_emulator/stats", Json, cancellationToken);
}
