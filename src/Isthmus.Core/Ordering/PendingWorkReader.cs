namespace Isthmus.Ordering;

/// <summary>
/// Feeds pending work from the store into memory in id order. The single writer gives ids in commit order,
/// so reading <c>id &gt; cursor</c> after each commit sees every item exactly once: nothing is skipped and
/// nothing is fed twice. A restart begins at cursor 0, which is the recovery.
/// </summary>
public sealed class PendingWorkReader<T> : IAsyncDisposable
{
    private readonly Func<long, int, CancellationToken, Task<IReadOnlyList<T>>> _read;
    private readonly Func<T, long> _id;
    private readonly Action<T> _feed;
    private readonly Func<int> _inMemory;
    private readonly int _capacity;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<Exception> _onError;
    private Task? _loop;
    private long _cursor;

    private static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(1);
    private const int BusyBatch = 16;

    /// <summary>Creates a reader; call <see cref="Start"/>.</summary>
    /// <param name="read">Reads pending items with id &gt; cursor, oldest first.</param>
    /// <param name="capacity">Reading pauses while this many items are in memory.</param>
    public PendingWorkReader(Func<long, int, CancellationToken, Task<IReadOnlyList<T>>> read, Func<T, long> id, Action<T> feed,
        Func<int> inMemory, int capacity, Action<Exception> onError)
    {
        _read = read;
        _id = id;
        _feed = feed;
        _inMemory = inMemory;
        _capacity = capacity;
        _onError = onError;
    }

    /// <summary>The last id fed.</summary>
    public long Cursor => Interlocked.Read(ref _cursor);

    private volatile bool _disposed;

    /// <summary>Begins reading from the start of the pending work.</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Says new work was committed; cheap and safe to call often.</summary>
    public void Notify()
    {
        if (!_disposed && _signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller signalled first; one wake-up is enough.
            }
            catch (ObjectDisposedException)
            {
                // A request finished appending while the host was stopping: what it appended is read at the next start.
            }
        }
    }

    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        var lastBatch = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var room = _capacity - _inMemory();
                if (room > 0)
                {
                    var items = await _read(Cursor, Math.Min(room, 512), token).ConfigureAwait(false);
                    lastBatch = items.Count > 0 ? items.Count : lastBatch;
                    foreach (var item in items)
                    {
                        _feed(item);
                        Interlocked.Exchange(ref _cursor, _id(item));
                    }

                    if (items.Count > 0)
                    {
                        continue; // There may be more.
                    }
                }

                // Wait for a commit; poll now and then in case a signal raced with the read.
                if (await _signal.WaitAsync(room > 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(20), token).ConfigureAwait(false)
                    && lastBatch >= BusyBatch)
                {
                    // Under load, let a few more commits land so one read (and one wake-up of the workers) carries
                    // them all: that cuts thread switches far more than the millisecond costs. At low rates reads
                    // stay immediate, so latency does not pay for it.
                    await Task.Delay(CoalesceDelay, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _onError(ex);
                await Task.Delay(TimeSpan.FromMilliseconds(500), token).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _disposed = true;
        _stopping.Dispose();
        _signal.Dispose();
    }
}
