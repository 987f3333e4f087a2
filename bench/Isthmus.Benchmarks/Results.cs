namespace Isthmus.Benchmarks;

/// <summary>What the sink saw of one phase's events.</summary>
public sealed record DeliveryStats(
    long Delivered,
    long DeliveredInWindow,
    double DeliveredPerSecond,
    long Duplicates,
    long Stale,
    LatencySummary Latency,
    TimeSpan? DrainTime,
    long Outstanding);

public sealed record ClosedPhase(string Name, ClosedLoopResult Load, DeliveryStats Delivery, TimeSpan QuietWait);

/// <param name="QuietWait">How long the sink had to wait for earlier phases' deliveries to stop before this phase began.</param>
public sealed record OpenPhase(OpenLoopResult Load, DeliveryStats Delivery, bool Sustained, string Reason, TimeSpan QuietWait);

/// <summary>Everything one run measured; phases that did not run stay null or empty.</summary>
public sealed class BenchmarkResults
{
    public required MachineInfo Machine { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required bool Quick { get; init; }
    public required bool StandIn { get; init; }
    public string Synchronous { get; init; } = "full";
    public required string Target { get; init; }
    public string? Label { get; init; }
    public TimeSpan PhaseDuration { get; init; }

    public ClosedLoopResult? Ceiling16 { get; set; }
    public ClosedLoopResult? Ceiling64 { get; set; }
    public OpenLoopResult? CeilingOpenLoop { get; set; }
    public MemorySample CeilingMemory { get; set; }

    public List<TimeSpan> StartupTimes { get; } = [];

    public ClosedPhase? Accepted16 { get; set; }
    public ClosedPhase? Accepted64 { get; set; }
    public List<OpenPhase> EndToEnd { get; } = [];
    public ClosedPhase? MaxSustained { get; set; }
    public MemorySample TargetMemory { get; set; }
    public MemorySample TargetMemoryAfterEndToEnd { get; set; }
    public long SinkDuplicates { get; set; }
    public long SinkMissingKey { get; set; }
    public long SinkMissingSentAt { get; set; }

    public List<string> Errors { get; } = [];
}
