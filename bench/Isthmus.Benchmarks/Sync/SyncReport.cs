using System.Globalization;
using System.Runtime;
using System.Text;

namespace Isthmus.Benchmarks.Sync;

/// <summary>The sync benchmark's report, as Markdown (printed and written to a file).</summary>
public static class SyncReport
{
    public const double LoadTarget = 5_000; // records/s
    public static readonly TimeSpan ReconcileTarget = TimeSpan.FromSeconds(20);

    public static string Markdown(MachineInfo machine, DateTimeOffset started, SyncOptions options, IReadOnlyList<SyncScenarioResult> results,
        IReadOnlyList<string> skipped, IReadOnlyList<string>? allocations = null)
    {
        var sb = new StringBuilder();
        void L(string line = "") => sb.Append(line).Append('\n');
        L("# Isthmus sync benchmark");
        L();
        L($"- started {started:yyyy-MM-dd HH:mm} UTC, {options.Label ?? "unlabelled"}{(options.Quick ? ", **quick**" : "")}");
        L($"- machine: {machine.Cpu}, {machine.Cores} cores, {machine.RamGb:0.0} GB RAM, {machine.Runtime}, {machine.Os}");
        L($"- load average at start: {machine.LoadAverage}");
        L($"- {options.Records:N0} records; store `synchronous: {options.Synchronous}`; the sync engine (store, sql and http connectors) runs in the "
            + "benchmark process; the record-system emulator runs as a separate process on 127.0.0.1");
        L($"- garbage collector of the engine's process: {(GCSettings.IsServerGC ? "server" : "workstation")}, {(GCSettings.LatencyMode == GCLatencyMode.Batch ? "not " : "")}concurrent, "
            + (Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is { Length: > 0 } gen0 ? $"gen0 budget `DOTNET_GCgen0size={gen0}`" : "default gen0 budget"));
        foreach (var s in skipped)
        {
            L($"- {s}");
        }

        foreach (var r in results)
        {
            L();
            L($"## Source: {r.Source} ({r.Records:N0} rows)");
            L();
            L($"Seeding the table took {r.Seed.TotalSeconds:0.0} s (not measured).");
            L();
            L("| phase | time | records/s | CPU cores engine / emulator / other | load avg before → after | store calls (commits) | emulator API calls / writes / reads | engine allocated per record, GCs gen0/1/2, paused |");
            L("|---|---|---|---|---|---|---|---|");
            foreach (var p in r.Phases)
            {
                var calls = p.Store.Values.Sum(v => v.Calls);
                var commits = p.Store.TryGetValue("CommitAsync", out var c) ? c.Calls : 0;
                L($"| {p.Name} | {p.Elapsed.TotalSeconds:0.00} s | {p.Rate(r.Records):N0} | {p.Cpu.BenchCores:0.00} / {p.Cpu.ServerCores:0.00} / {p.Cpu.OtherCores:0.00} "
                    + $"| {p.LoadBefore} → {p.LoadAfter} | {calls:N0} ({commits:N0}) | {p.ApiCalls:N0} / {p.ApiWrites:N0} / {p.ApiReads:N0} "
                    + $"| {p.Gc.AllocatedBytes / (double)r.Records / 1024:N1} KB, {p.Gc.Gen0:N0}/{p.Gc.Gen1:N0}/{p.Gc.Gen2:N0}, {p.Gc.Paused.TotalSeconds:0.00} s |");
            }

            L();
            if (r.LoadRead is { } read)
            {
                L($"- the load job (read, map, store, writes queued) finished {read.TotalSeconds:0.00} s after it started; the rest of the load time is the outbox draining to the CRM");
            }

            foreach (var p in r.Phases)
            {
                L($"- {p.Name}: {p.Outcome}");
            }

            foreach (var n in r.Notes)
            {
                L($"- {n}");
            }

            L();
            L("Store calls per phase (calls, rows or items, time inside the store):");
            L();
            L("| phase | " + string.Join(" | ", Methods(r)) + " |");
            L("|---|" + string.Concat(Methods(r).Select(_ => "---|")));
            foreach (var p in r.Phases)
            {
                L($"| {p.Name} | " + string.Join(" | ", Methods(r).Select(m => p.Store.TryGetValue(m, out var v)
                    ? $"{v.Calls:N0} / {v.Items:N0} / {v.Time.TotalSeconds:0.0} s" : "")) + " |");
            }

            foreach (var e in r.Errors)
            {
                L();
                L($"**error:** {e}");
            }
        }

        if (allocations is { Count: > 0 })
        {
            L();
            L("## Types allocated most (whole run, sampled by the runtime's allocation ticks)");
            L();
            L("| type | allocated | share |");
            L("|---|---|---|");
            foreach (var line in allocations)
            {
                L(line);
            }
        }

        L();
        L("## Targets");
        L();
        foreach (var r in results)
        {
            if (r.Phases.FirstOrDefault(p => p.Name.StartsWith("initial load", StringComparison.Ordinal)) is { } load)
            {
                var rate = load.Rate(r.Records);
                L($"- {r.Source}: initial load {rate:N0} records/s (target ≥ {LoadTarget:N0}): **{(rate >= LoadTarget ? "met" : "not met")}**");
            }

            foreach (var p in r.Phases.Where(p => p.Name.StartsWith("reconcile", StringComparison.Ordinal)))
            {
                L($"- {r.Source}: {p.Name} {p.Elapsed.TotalSeconds:0.00} s (target < {ReconcileTarget.TotalSeconds:0} s): **{(p.Elapsed < ReconcileTarget ? "met" : "not met")}**");
            }

            if (r.Errors.Count > 0)
            {
                L($"- {r.Source}: **{r.Errors.Count} error(s)**, see above");
            }
        }

        if (options.Records != 100_000)
        {
            L($"- the targets are for 100,000 records; this run had {options.Records:N0}");
        }

        return sb.ToString();
    }

    static List<string> Methods(SyncScenarioResult r) =>
        [.. r.Phases.SelectMany(p => p.Store.Keys).Distinct().OrderBy(m => m == "CommitAsync" ? "" : m, StringComparer.Ordinal)];

    public static string Number(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
