namespace Isthmus.Emulators.Records;

/// <summary>
/// Injected failures. Counts ("the next 3 calls fail") make tests deterministic; rates (0–1) are for demos.
/// Each POST to <c>/_emulator/faults</c> replaces the whole set; DELETE clears it.
/// </summary>
public sealed record RecordFaults
{
    /// <summary>Delay added to every <c>/api</c> call, in milliseconds.</summary>
    public int LatencyMs { get; init; }

    /// <summary>How many of the next <c>/api</c> calls answer <see cref="ErrorStatus"/>.</summary>
    public int ErrorCount { get; init; }

    /// <summary>Share of <c>/api</c> calls that answer <see cref="ErrorStatus"/>.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The 5xx status of injected errors (default 503).</summary>
    public int ErrorStatus { get; init; } = 503;

    /// <summary>How many of the next <c>/api</c> calls answer 429.</summary>
    public int ThrottleCount { get; init; }

    /// <summary>Share of <c>/api</c> calls that answer 429.</summary>
    public double ThrottleRate { get; init; }

    /// <summary>The <c>Retry-After</c> of a 429, in seconds (default 1).</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>How many of the next change notifications are dropped (the change is applied, nobody is told).</summary>
    public int DropWebhookCount { get; init; }

    /// <summary>Share of change notifications dropped.</summary>
    public double DropWebhookRate { get; init; }
}

/// <summary>The live fault state: counts go down as they fire.</summary>
internal sealed class FaultState
{
    private readonly Lock _gate = new();
    private RecordFaults _faults = new();
    private int _errors;
    private int _throttles;
    private int _drops;

    public RecordFaults Current
    {
        get
        {
            lock (_gate)
            {
                return _faults with { ErrorCount = _errors, ThrottleCount = _throttles, DropWebhookCount = _drops };
            }
        }
    }

    public void Set(RecordFaults faults)
    {
        lock (_gate)
        {
            _faults = faults;
            (_errors, _throttles, _drops) = (faults.ErrorCount, faults.ThrottleCount, faults.DropWebhookCount);
        }
    }

    public int LatencyMs => Current.LatencyMs;

    public bool TakeError() => Take(ref _errors, _faults.ErrorRate);

    public bool TakeThrottle() => Take(ref _throttles, _faults.ThrottleRate);

    public bool TakeDrop() => Take(ref _drops, _faults.DropWebhookRate);

    private bool Take(ref int count, double rate)
    {
        lock (_gate)
        {
            if (count > 0)
            {
                count--;
                return true;
            }

#pragma warning disable CA5394 // Injected faults need no cryptographic randomness.
            return rate > 0 && Random.Shared.NextDouble() < rate;
#pragma warning restore CA5394
        }
    }
}
