namespace Isthmus.Benchmarks;

/// <summary>
/// Lock-free, fixed-capacity store of latency samples in microseconds. Samples beyond the capacity are
/// counted but not kept, so memory stays bounded however long a phase runs.
/// </summary>
public sealed class LatencyRecorder
{
    readonly int[] _samples;
    int _next;

    public LatencyRecorder(int capacity) => _samples = new int[capacity];

    public long Count => Math.Min(Volatile.Read(ref _next), _samples.Length);

    public void Record(long microseconds)
    {
        int i = Interlocked.Increment(ref _next) - 1;
        if (i < _samples.Length)
        {
            _samples[i] = (int)Math.Clamp(microseconds, 0, int.MaxValue);
        }
    }

    public LatencySummary Summarize()
    {
        int n = (int)Count;
        if (n == 0)
        {
            return LatencySummary.Empty;
        }

        var copy = _samples.AsSpan(0, n).ToArray();
        Array.Sort(copy);
        return new LatencySummary(n, At(copy, 0.50), At(copy, 0.99), At(copy, 0.999), copy[^1] / 1000.0);
    }

    static double At(int[] sorted, double quantile)
    {
        int index = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)] / 1000.0;
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(long Samples, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN);
}
