namespace Isthmus.Benchmarks;

/// <summary>Command-line options of a benchmark run.</summary>
public sealed record BenchmarkOptions
{
    public bool Quick { get; init; }

    /// <summary>The isthmus entry assembly; null means the repository's Release build.</summary>
    public string? IsthmusDll { get; init; }

    /// <summary>Runs the non-durable stand-in instead of isthmus, to check the harness itself.</summary>
    public bool StandIn { get; init; }

    public string? OutputPath { get; init; }

    /// <summary>Repository root, used to find the isthmus build.</summary>
    public string RepositoryRoot { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Free-form label for the report header, e.g. a commit id.</summary>
    public string? Label { get; init; }

    /// <summary>SQLite <c>store.synchronous</c>: <c>full</c> (fsync per group commit) or <c>normal</c> (survives a process crash, not power loss).</summary>
    public string Synchronous { get; init; } = "full";

    public TimeSpan PhaseDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);
    /// <summary>Warm-up at each concurrency before the measured phases, so tiered JIT has settled in both processes.</summary>
    public TimeSpan WarmUp => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(3);
    public TimeSpan DrainTimeout => Quick ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(30);
    public TimeSpan QuietTimeout => Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(120);
    public int StartupRuns => 3;
    public int MaxInFlight => 256;

    public const string Usage = """
        usage: Isthmus.Benchmarks [--quick] [--isthmus <isthmus.dll>] [--stand-in] [--out <report.md>]
                                  [--repo <repository root>] [--label <text>] [--synchronous full|normal]
               Isthmus.Benchmarks sync [--records N] [--quick] [--postgres <connection string>] [--no-sqlite] [--out <report.md>]
               Isthmus.Benchmarks self-check
               Isthmus.Benchmarks ceiling [--parent <pid>]
               Isthmus.Benchmarks stand-in serve --config <isthmus.yaml> [--parent <pid>]
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--isthmus" => options with { IsthmusDll = Path.GetFullPath(Value()) },
                "--stand-in" => options with { StandIn = true },
                "--out" => options with { OutputPath = Path.GetFullPath(Value()) },
                "--repo" => options with { RepositoryRoot = Path.GetFullPath(Value()) },
                "--label" => options with { Label = Value() },
                "--synchronous" => options with { Synchronous = Value() is "normal" ? "normal" : "full" },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return options;
    }
}
