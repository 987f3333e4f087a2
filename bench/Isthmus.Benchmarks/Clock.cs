using System.Diagnostics;

namespace Isthmus.Benchmarks;

/// <summary>
/// The one clock every timestamp in a run is taken from: microseconds on the monotonic
/// <see cref="Stopwatch"/> clock of this process, shifted by <see cref="Offset"/>.
/// The offset keeps the value a 13-digit integer, so it survives any JSON number round-trip
/// (also through a double) and is never written in exponent notation.
/// </summary>
public static class Clock
{
    public const long Offset = 1_000_000_000_000;

    static readonly long Epoch = Stopwatch.GetTimestamp();

    public static long NowUs() => Offset + (Stopwatch.GetElapsedTime(Epoch).Ticks / TimeSpan.TicksPerMicrosecond);
}
