using System.Collections.Concurrent;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// A platform's documented send limits (e.g. 20 messages a minute per group bot), applied by waiting, not by failing:
/// a send beyond the limit is held until the window has room. One log per key (bot, app, chat).
/// </summary>
/// <remarks>
/// An exact sliding log: the times of the last <c>permits</c> sends per key, so no window of the given length ever
/// holds more. (A segmented sliding window can let a burst through at a segment boundary, which platforms that
/// count exactly answer with "too many requests".)
/// </remarks>
public sealed class SendRateLimiter(int permits, TimeSpan window, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, SendLog> _logs = new(StringComparer.Ordinal);

    /// <summary>Waits until <paramref name="key"/> may send once more, and counts that send.</summary>
    public async ValueTask WaitAsync(string key, CancellationToken cancellationToken)
    {
        var log = _logs.GetOrAdd(key, _ => new SendLog());
        await log.Turn.WaitAsync(cancellationToken).ConfigureAwait(false); // one waiter at a time per key, so sends keep their order
        try
        {
            while (true)
            {
                var now = _time.GetUtcNow();
                while (log.Sends.Count > 0 && log.Sends.Peek() <= now - window)
                {
                    log.Sends.Dequeue();
                }

                if (log.Sends.Count < permits)
                {
                    log.Sends.Enqueue(now);
                    return;
                }

                await Task.Delay(log.Sends.Peek() + window - now, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            log.Turn.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        foreach (var log in _logs.Values)
        {
            log.Turn.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class SendLog
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        public Queue<DateTimeOffset> Sends { get; } = new();
    }
}
