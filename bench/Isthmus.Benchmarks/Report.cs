using System.Text;

namespace Isthmus.Benchmarks;

/// <summary>Renders <see cref="BenchmarkResults"/> as a plain-text summary and as Markdown.</summary>
public static class Report
{
    const double AcceptedTarget = 10_000;
    const double P99TargetMs = 25;
    const int P99TargetRate = 2_000;
    const int SustainedTargetRate = 5_000;
    const double RssTargetMb = 150;
    const double ReadyTargetMs = 1_000;

    public static string Ms(double ms) =>
        double.IsNaN(ms) ? "n/a" : ms < 10 ? $"{ms:0.0} ms" : $"{ms:N0} ms";

    public static string Mb(long kb) => kb <= 0 ? "n/a" : $"{kb / 1024.0:N0} MB";

    public static string Drain(DeliveryStats d) =>
        d.DrainTime is { } t ? $"in {t.TotalSeconds:0.0} s" : $"NOT drained ({d.Outstanding:N0} outstanding)";

    static string Rate(double perSecond) => double.IsNaN(perSecond) ? "n/a" : $"{perSecond:N0}";

    static string Ratio(ClosedPhase? target, ClosedLoopResult? ceiling) =>
        target is null || ceiling is null || ceiling.Accepted == 0 ? "n/a" : $"{target.Load.AcceptedPerSecond / ceiling.AcceptedPerSecond:0.00}";

    static string Mark(bool ok) => ok ? "✓" : "✗";

    public static string Summary(BenchmarkResults r)
    {
        var s = new StringBuilder();
        string name = r.StandIn ? "STAND-IN" : "isthmus";
        s.AppendLine($"Isthmus benchmark — {r.StartedAt:yyyy-MM-dd HH:mm} UTC, {r.Machine.Cpu} x{r.Machine.Cores}, {r.Machine.RamGb:0.#} GB RAM, {r.Machine.Runtime}{(r.StandIn ? "" : $", SQLite synchronous={r.Synchronous}")}{(r.Quick ? "  [--quick]" : "")}");
        s.AppendLine($"target: {r.Target}{(r.Label is null ? "" : $"  ({r.Label})")}; load average at start {r.Machine.LoadAverage}; {r.PhaseDuration.TotalSeconds:0} s per phase");
        if (r.StandIn)
        {
            s.AppendLine("HARNESS SELF-TEST: the target is the non-durable in-memory stand-in, not isthmus. Only the ceiling line describes this machine.");
        }

        s.AppendLine($"{"ceiling (raw Kestrel 202)",-30}c16: {Rate(r.Ceiling16?.AcceptedPerSecond ?? double.NaN)} req/s   c64: {Rate(r.Ceiling64?.AcceptedPerSecond ?? double.NaN)} req/s   peak RSS {Mb(r.CeilingMemory.HwmKb)}");
        if (r.Ceiling64?.Cpu is { } cc)
        {
            s.AppendLine($"{"",-30}(ceiling c64 CPU: server {cc.ServerCores:0.00}, load generator {cc.BenchCores:0.00}, other processes {cc.OtherCores:0.00} of {r.Machine.Cores} cores)");
        }

        if (r.CeilingOpenLoop is { } g)
        {
            s.AppendLine($"{"",-30}(generator check, open loop @{g.TargetRate:N0}/s against the ceiling: accepted {Rate(g.AcceptedPerSecond)}/s, skipped {g.SkippedAtCap:N0}, send lag p99 {Ms(g.ScheduleLagP99Ms)}, reply p99 {Ms(g.Ack.P99Ms)})");
        }

        if (r.Accepted16 is not null || r.Accepted64 is not null)
        {
            s.AppendLine($"{name + " accepted" + (r.StandIn ? "" : " (durable)"),-30}c16: {Rate(r.Accepted16?.Load.AcceptedPerSecond ?? double.NaN)} ev/s   c64: {Rate(r.Accepted64?.Load.AcceptedPerSecond ?? double.NaN)} ev/s   ratio {Ratio(r.Accepted16, r.Ceiling16)} / {Ratio(r.Accepted64, r.Ceiling64)}");
        }

        long duplicateReplies = new[] { r.Accepted16?.Load.Duplicate, r.Accepted64?.Load.Duplicate, r.MaxSustained?.Load.Duplicate }.Sum(x => x ?? 0)
            + r.EndToEnd.Sum(e => e.Load.Duplicate);
        if (duplicateReplies > 0)
        {
            s.AppendLine($"{"",-30}WARNING: {duplicateReplies:N0} replies were 200 (duplicate) although every event id is unique");
        }

        foreach (var e in r.EndToEnd)
        {
            var d = e.Delivery;
            s.AppendLine($"{$"end-to-end @{e.Load.TargetRate:N0}/s",-22}{(e.Sustained ? "ok " : "NO "),-4}accepted {Rate(e.Load.AcceptedPerSecond)}/s  delivered {Rate(d.DeliveredPerSecond)}/s  p50 {Ms(d.Latency.P50Ms)}  p99 {Ms(d.Latency.P99Ms)}  p99.9 {Ms(d.Latency.P999Ms)}  dups {d.Duplicates:N0}{(e.Sustained ? "" : $"  ({e.Reason})")}");
        }

        if (r.MaxSustained is { } m)
        {
            s.AppendLine($"max sustained end-to-end: {Rate(m.Delivery.DeliveredPerSecond)} ev/s delivered (closed loop c64: accepted {Rate(m.Load.AcceptedPerSecond)}/s, backlog drained {Drain(m.Delivery)})");
        }

        var startups = r.StartupTimes.Select(t => t.TotalMilliseconds).Order().ToList();
        if (r.TargetMemory.HwmKb > 0 || startups.Count > 0)
        {
            s.AppendLine($"memory: peak RSS {Mb(r.TargetMemory.HwmKb)} (sampled max VmRSS {Mb(r.TargetMemory.RssKb)}, after end-to-end {Mb(r.TargetMemoryAfterEndToEnd.RssKb)})   start→ready: {StartupText(startups)}");
        }

        if (!r.StandIn && r.Errors.Count == 0)
        {
            s.AppendLine(Targets(r, startups));
        }

        foreach (var error in r.Errors)
        {
            s.AppendLine("ERROR: " + error);
        }

        return s.ToString();
    }

    static string StartupText(List<double> sortedMs) =>
        sortedMs.Count == 0 ? "n/a" : $"best {sortedMs[0]:N0} ms, median {sortedMs[sortedMs.Count / 2]:N0} ms (of {sortedMs.Count})";

    static string Targets(BenchmarkResults r, List<double> startups)
    {
        var parts = new List<string>();
        if (r.Accepted64 is { } a)
        {
            double best = Math.Max(a.Load.AcceptedPerSecond, r.Accepted16?.Load.AcceptedPerSecond ?? 0);
            parts.Add($"accepted ≥ {AcceptedTarget:N0}/s {Mark(best >= AcceptedTarget)}");
        }

        if (r.EndToEnd.FirstOrDefault(e => e.Load.TargetRate == P99TargetRate) is { } e2k)
        {
            parts.Add($"p99 @{P99TargetRate:N0}/s < {P99TargetMs:0} ms {Mark(e2k.Sustained && e2k.Delivery.Latency.P99Ms < P99TargetMs)}");
        }

        if (r.EndToEnd.FirstOrDefault(e => e.Load.TargetRate == SustainedTargetRate) is { } e5k)
        {
            parts.Add($"sustained @{SustainedTargetRate:N0}/s {Mark(e5k.Sustained)}");
        }

        if (r.TargetMemory.HwmKb > 0)
        {
            parts.Add($"peak RSS < {RssTargetMb:0} MB {Mark(r.TargetMemory.HwmKb / 1024.0 < RssTargetMb)}");
        }

        if (startups.Count > 0)
        {
            parts.Add($"start→ready < 1 s {Mark(startups[startups.Count / 2] < ReadyTargetMs)}");
        }

        return "targets: " + string.Join("   ", parts);
    }

    public static string Markdown(BenchmarkResults r)
    {
        var s = new StringBuilder();
        s.AppendLine($"# Isthmus benchmark, {r.StartedAt:yyyy-MM-dd HH:mm} UTC");
        s.AppendLine();
        s.AppendLine("```text");
        s.Append(Summary(r));
        s.AppendLine("```");
        s.AppendLine();
        s.AppendLine("## Machine");
        s.AppendLine();
        s.AppendLine($"- CPU: {r.Machine.Cpu} × {r.Machine.Cores} logical cores; RAM {r.Machine.RamGb:0.#} GB");
        s.AppendLine($"- OS: {r.Machine.Os}; runtime {r.Machine.Runtime}");
        s.AppendLine($"- load average when the run started: {r.Machine.LoadAverage}");
        s.AppendLine($"- phase length {r.PhaseDuration.TotalSeconds:0} s{(r.Quick ? " (--quick)" : "")}; target `{r.Target}`{(r.Label is null ? "" : $" ({r.Label})")}");
        s.AppendLine();

        s.AppendLine("## Closed loop (each sender waits for its reply)");
        s.AppendLine();
        s.AppendLine("| phase | senders | 202 | 200 (dup) | other | errors | accepted/s | reply p50 | reply p99 | delivered/s in window | drain | CPU cores server / bench / other | bench GC pauses | quiet wait before |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var (name, load) in new[] { ("ceiling", r.Ceiling16), ("ceiling", r.Ceiling64) })
        {
            if (load is not null)
            {
                s.AppendLine($"| {name} | {load.Concurrency} | {load.Accepted:N0} | {load.Duplicate:N0} | {Others(load.Other, load.OtherStatuses)} | {load.Errors:N0} | {Rate(load.AcceptedPerSecond)} | {Ms(load.Ack.P50Ms)} | {Ms(load.Ack.P99Ms)} | – | – | {Cores(load.Cpu)} | {GcPause(load.Cpu)} | – |");
            }
        }

        foreach (var p in new[] { r.Accepted16, r.Accepted64, r.MaxSustained })
        {
            if (p is not null)
            {
                var l = p.Load;
                s.AppendLine($"| {p.Name} | {l.Concurrency} | {l.Accepted:N0} | {l.Duplicate:N0} | {Others(l.Other, l.OtherStatuses)} | {l.Errors:N0} | {Rate(l.AcceptedPerSecond)} | {Ms(l.Ack.P50Ms)} | {Ms(l.Ack.P99Ms)} | {Rate(p.Delivery.DeliveredPerSecond)} | {Drain(p.Delivery)} | {Cores(l.Cpu)} | {GcPause(l.Cpu)} | {p.QuietWait.TotalSeconds:0.0} s |");
            }
        }

        if (r.CeilingOpenLoop is { } go)
        {
            s.AppendLine();
            s.AppendLine($"Generator check against the ceiling, open loop @{go.TargetRate:N0}/s: sent {go.Sent:N0}, skipped at cap {go.SkippedAtCap:N0}, send lag p99 {Ms(go.ScheduleLagP99Ms)}, " +
                         $"accepted {Rate(go.AcceptedPerSecond)}/s, reply p50 {Ms(go.Ack.P50Ms)} / p99 {Ms(go.Ack.P99Ms)} / p99.9 {Ms(go.Ack.P999Ms)}, CPU server / bench / other {Cores(go.Cpu)}, bench GC pauses {GcPause(go.Cpu)}.");
        }

        if (r.EndToEnd.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("## End to end, open loop (fixed send rate)");
            s.AppendLine();
            s.AppendLine("| target/s | sent | skipped at cap | send lag p99 | accepted/s | delivered/s | p50 | p99 | p99.9 | max | dups | drain | CPU cores server / bench / other | bench GC pauses | quiet wait before | sustained |");
            s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
            foreach (var e in r.EndToEnd)
            {
                var l = e.Load;
                var d = e.Delivery;
                s.AppendLine($"| {l.TargetRate:N0} | {l.Sent:N0} | {l.SkippedAtCap:N0} | {Ms(l.ScheduleLagP99Ms)} | {Rate(l.AcceptedPerSecond)} | {Rate(d.DeliveredPerSecond)} | {Ms(d.Latency.P50Ms)} | {Ms(d.Latency.P99Ms)} | {Ms(d.Latency.P999Ms)} | {Ms(d.Latency.MaxMs)} | {d.Duplicates:N0} | {Drain(d)} | {Cores(l.Cpu)} | {GcPause(l.Cpu)} | {e.QuietWait.TotalSeconds:0.0} s | {(e.Sustained ? "yes" : "no: " + e.Reason)} |");
            }
        }

        s.AppendLine();
        s.AppendLine("## Sink totals");
        s.AppendLine();
        s.AppendLine($"- duplicate `Idempotency-Key`s over the whole run: {r.SinkDuplicates:N0}");
        s.AppendLine($"- deliveries without `Idempotency-Key`: {r.SinkMissingKey:N0}; without a readable `sentAt`: {r.SinkMissingSentAt:N0}");
        s.AppendLine();
        s.AppendLine("How each number is measured: see docs/benchmarks.md.");
        return s.ToString();
    }

    static string Cores(CpuShare? cpu) =>
        cpu is null ? "n/a" : $"{cpu.ServerCores:0.00} / {cpu.BenchCores:0.00} / {(double.IsNaN(cpu.OtherCores) ? "n/a" : cpu.OtherCores.ToString("0.00"))}";

    static string GcPause(CpuShare? cpu) => cpu is null ? "n/a" : $"{cpu.BenchGcPauseMs:N0} ms";

    static string Others(long count, string statuses) => count == 0 ? "0" : $"{count:N0} ({statuses})";
}
