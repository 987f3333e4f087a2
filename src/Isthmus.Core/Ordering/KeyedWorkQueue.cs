using System.Threading.Channels;

namespace Isthmus.Ordering;

/// <summary>What a handler did with the item at the head of its key.</summary>
public readonly record struct WorkResult<T>(bool Done, T? Replacement, DateTimeOffset RetryAt)
{
    /// <summary>The item is finished; the key's next item may start.</summary>
    public static WorkResult<T> Finished => new(true, default, default);

    /// <summary>Keep <paramref name="item"/> at the head of its key and try again at <paramref name="at"/>; other keys go on.</summary>
    public static WorkResult<T> RetryLater(T item, DateTimeOffset at) => new(false, item, at);
}

/// <summary>
/// In order per key, parallel across keys: items with the same key are handled one at a time in the order
/// they were enqueued, by a fixed number of workers. A key whose head must wait (a retry) is parked without
/// blocking other keys. Items without a key are handled in any order.
/// </summary>
public sealed class KeyedWorkQueue<T> : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<T>> _keys = new(StringComparer.Ordinal);
    private readonly Channel<(string? Key, T Item)> _ready = Channel.CreateUnbounded<(string?, T)>();
    private readonly Func<T, CancellationToken, ValueTask<WorkResult<T>>> _handler;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _workers;
    private int _count;

    /// <summary>Starts <paramref name="workers"/> workers running <paramref name="handler"/>.</summary>
    public KeyedWorkQueue(int workers, Func<T, CancellationToken, ValueTask<WorkResult<T>>> handler, TimeProvider time)
    {
        _handler = handler;
        _time = time;
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <summary>Items enqueued and not yet finished (including parked ones).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds an item behind the others with the same key.</summary>
    public void Enqueue(string? key, T item)
    {
        Interlocked.Increment(ref _count);
        if (key is null)
        {
            _ready.Writer.TryWrite((null, item));
            return;
        }

        lock (_gate)
        {
            if (_keys.TryGetValue(key, out var queue))
            {
                queue.Enqueue(item); // The key is active; its worker will get to it.
                return;
            }

            queue = new Queue<T>();
            queue.Enqueue(item);
            _keys[key] = queue;
        }

        _ready.Writer.TryWrite((key, item));
    }

    private async Task WorkAsync()
    {
        var token = _stopping.Token;
        try
        {
            await foreach (var (key, item) in _ready.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                WorkResult<T> result;
                try
                {
                    result = await _handler(item, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return; // Shutting down: the item is still pending in the store.
                }

                if (result.Done)
                {
                    Interlocked.Decrement(ref _count);
                    Advance(key);
                }
                else
                {
                    Park(key, result.Replacement!, result.RetryAt);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private void Advance(string? key)
    {
        if (key is null)
        {
            return;
        }

        T next;
        lock (_gate)
        {
            var queue = _keys[key];
            queue.Dequeue();
            if (queue.Count == 0)
            {
                _keys.Remove(key);
                return;
            }

            next = queue.Peek();
        }

        _ready.Writer.TryWrite((key, next));
    }

    private void Park(string? key, T replacement, DateTimeOffset at)
    {
        if (key is not null)
        {
            lock (_gate)
            {
                // Replace the head in place so the retry keeps its position before later items of the key.
                var queue = _keys[key];
                var rest = queue.ToArray()[1..];
                queue.Clear();
                queue.Enqueue(replacement);
                foreach (var r in rest)
                {
                    queue.Enqueue(r);
                }
            }
        }

        var delay = at - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            _ready.Writer.TryWrite((key, replacement));
            return;
        }

        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                _ready.Writer.TryWrite((key, replacement));
                timer?.Dispose();
            },
            null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Stops the workers; unfinished items stay pending in the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _ready.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
