using System.Numerics;

namespace Isthmus.Benchmarks;

/// <summary>
/// Lock-free log-linear histogram of latencies in microseconds: exact below 2,048 µs, then 1,024 buckets
/// per power of two (0.1% resolution) up to ~2^41 µs. Fixed 256 KB, no allocation per sample, so recording
/// never adds GC pauses to what is being measured.
/// </summary>
public sealed class LatencyRecorder
{
    const int Exact = 2048;
    const int SubBuckets = 1024;
    const int MaxShift = 30;
    const long MaxValue = (1L << 41) - 1;

    readonly long[] _counts = new long[Exact + (MaxShift * SubBuckets)];
    long _count;
    long _max;

    public long Count => Interlocked.Read(ref _count);

    public void Record(long microseconds)
    {
        long v = Math.Clamp(microseconds, 0, MaxValue);
        Interlocked.Increment(ref _counts[Index(v)]);
        Interlocked.Increment(ref _count);
        long max = Interlocked.Read(ref _max);
        for (int i = 0; i < 64 && v > max; i++)
        {
            long seen = Interlocked.CompareExchange(ref _max, v, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    public LatencySummary Summarize()
    {
        long n = Count;
        if (n == 0)
        {
            return LatencySummary.Empty;
        }

        double max = Interlocked.Read(ref _max) / 1000.0;
        return new LatencySummary(n, At(n, 0.50, max), At(n, 0.99, max), At(n, 0.999, max), max);
    }

    double At(long n, double quantile, double maxMs)
    {
        long rank = Math.Max(1, (long)Math.Ceiling(quantile * n));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(Middle(i) / 1000.0, maxMs);
            }
        }

        return maxMs;
    }

    internal static int Index(long v)
    {
        if (v < Exact)
        {
            return (int)v;
        }

        int shift = (63 - BitOperations.LeadingZeroCount((ulong)v)) - 10;
        return Exact + ((shift - 1) * SubBuckets) + (int)((v >> shift) - SubBuckets);
    }

    internal static double Middle(int index)
    {
        if (index < Exact)
        {
            return index;
        }

        int j = index - Exact;
        int shift = (j / SubBuckets) + 1;
        long lower = (long)((j % SubBuckets) + SubBuckets) << shift;
        return lower + ((1L << shift) / 2.0);
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(long Samples, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN);
}
