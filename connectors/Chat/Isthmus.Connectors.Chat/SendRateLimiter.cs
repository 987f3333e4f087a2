using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// A platform's documented send limits (e.g. 20 messages a minute per group bot), applied by waiting, not by failing:
/// a send beyond the limit is held until the window has room. One limiter per key (bot, app, chat).
/// </summary>
public sealed class SendRateLimiter(int permits, TimeSpan window) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>Waits until <paramref name="key"/> may send once more.</summary>
    public async ValueTask WaitAsync(string key, CancellationToken cancellationToken)
    {
        var limiter = _limiters.GetOrAdd(key, _ => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            SegmentsPerWindow = 6,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));
        using var lease = await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new ConnectorException($"the send queue for '{key}' is full", FailureKind.RateLimited, window);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var limiter in _limiters.Values)
        {
            await limiter.DisposeAsync().ConfigureAwait(false);
        }
    }
}
