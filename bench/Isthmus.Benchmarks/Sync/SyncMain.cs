using System.Runtime.InteropServices;

namespace Isthmus.Benchmarks.Sync;

/// <summary><c>Isthmus.Benchmarks sync</c>: runs the sync scenarios, prints the report and writes it to <c>--out</c>.</summary>
public static class SyncMain
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        SyncOptions options;
        try
        {
            options = SyncOptions.Parse(args) with { Executable = typeof(SyncMain).Assembly.Location };
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + SyncOptions.Usage);
            return 1;
        }

        using var allocations = options.Allocations ? new AllocationListener() : null;
        var machine = MachineInfo.Read();
        var started = DateTimeOffset.UtcNow;
        using var cancel = new CancellationTokenSource(TimeSpan.FromHours(1));
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }

        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var benchmark = new SyncBenchmark(options, line => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}"));
        var results = new List<SyncScenarioResult>();
        var skipped = new List<string>();
        var scenarios = new List<SyncScenario>();
        if (options.SqliteSource)
        {
            scenarios.Add(SyncScenario.Sqlite(benchmark.WorkDirectory, options.Records));
        }

        if (options.Postgres is { } pg)
        {
            scenarios.Add(SyncScenario.Postgres(pg, options.Records));
        }
        else
        {
            skipped.Add("PostgreSQL source: not run (no --postgres connection string)");
        }

        foreach (var scenario in scenarios)
        {
            try
            {
                results.Add(await benchmark.RunAsync(scenario, cancel.Token));
            }
            catch (Exception e) when (e is BenchmarkException or OperationCanceledException or System.Data.Common.DbException or HttpRequestException)
            {
                var failed = new SyncScenarioResult(scenario.Provider, scenario.Records);
                failed.Errors.Add(e.Message);
                results.Add(failed);
            }
        }

        var report = SyncReport.Markdown(machine, started, options, results, skipped, allocations?.Top(25).ToList());
        Console.WriteLine();
        Console.Write(report);
        if (options.OutputPath is { } output)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, report);
            Console.WriteLine($"report written to {output}");
        }

        if (results.Any(r => r.Errors.Count > 0))
        {
            await Console.Error.WriteLineAsync($"run failed; files kept under {benchmark.WorkDirectory}");
            return 2;
        }

        Directory.Delete(benchmark.WorkDirectory, recursive: true);
        return 0;
    }
}
