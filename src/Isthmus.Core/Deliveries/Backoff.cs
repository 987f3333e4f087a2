namespace Isthmus.Deliveries;

/// <summary>
/// Exponential backoff with jitter: the n-th retry waits between half and all of base·2^(n-1), capped.
/// Jitter spreads retries of many deliveries that failed together, so a recovering target is not hit at once.
/// A platform's own <c>Retry-After</c> wins when it asks for longer.
/// </summary>
public static class Backoff
{
    /// <summary>The delay before retry number <paramref name="retry"/> (1-based).</summary>
    public static TimeSpan Delay(int retry, TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan? retryAfter, double random)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        var jittered = TimeSpan.FromMilliseconds((capped / 2) + (random * capped / 2));
        return retryAfter is { } after && after > jittered ? after : jittered;
    }
}
