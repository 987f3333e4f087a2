namespace Isthmus.Ordering;

/// <summary>
/// Feeds pending work from the store into memory in id order. The single writer gives ids in commit order,
/// so reading <c>id &gt; cursor</c> after each commit sees every item exactly once: nothing is skipped and
/// nothing is fed twice. A restart begins at cursor 0, which is the recovery.
/// </summary>
/// <remarks>
/// When the store hands over what each commit wrote (<see cref="Offer"/>), the reader goes <em>live</em> once it
/// has caught up: commits then feed memory directly and the store is not read back, which saves a query and a
/// thread wake-up per commit. While memory is full, offers are refused and the reader falls back to reading by
/// cursor until it has caught up again. Offers and the read that goes live share one lock, and an offer feeds
/// only ids above the cursor, so an item is fed once whichever path sees it first.
/// </remarks>
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
    private readonly Lock _gate = new();
    private Task? _loop;
    private long _cursor;
    private volatile bool _offered;
    private volatile bool _live;

    private static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(1);
    private const int BusyBatch = 16;
    private const int ReadBatch = 512;

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

    /// <summary>Whether commits currently feed memory directly.</summary>
    public bool Live => _live;

    private volatile bool _disposed;

    /// <summary>Begins reading from the start of the pending work.</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>
    /// Hands over the items one commit wrote, in id order, right after the commit. Call it for every commit, in
    /// commit order, from one thread at a time; it never blocks for long and never throws.
    /// </summary>
    public void Offer(IReadOnlyList<T> items)
    {
        _offered = true;
        if (items.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_live && !_disposed)
            {
                if (_inMemory() + items.Count <= _capacity)
                {
                    FeedNewer(items);
                    return;
                }

                _live = false; // Memory is full: the store keeps the rest until the reader has room.
            }
        }

        Notify();
    }

    /// <summary>Says new work was committed; cheap and safe to call often.</summary>
    public void Notify()
    {
        if (!_disposed && !_live && _signal.CurrentCount == 0)
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

    private void FeedNewer(IReadOnlyList<T> items)
    {
        var cursor = Cursor;
        foreach (var item in items)
        {
            var id = _id(item);
            if (id > cursor)
            {
                _feed(item);
                cursor = id;
            }
        }

        Interlocked.Exchange(ref _cursor, cursor);
    }

    private async Task<int> ReadAsync(int limit, CancellationToken token)
    {
        var items = await _read(Cursor, limit, token).ConfigureAwait(false);
        FeedNewer(items);
        return items.Count;
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
                if (!_live && room > 0)
                {
                    var limit = Math.Min(room, ReadBatch);
                    var count = await ReadAsync(limit, token).ConfigureAwait(false);
                    lastBatch = count > 0 ? count : lastBatch;
                    if (count == limit)
                    {
                        continue; // There may be more.
                    }

                    if (_offered && GoLive())
                    {
                        continue;
                    }
                }

                if (_live)
                {
                    // Commits feed memory now; wake only to stop, or when an offer found memory full.
                    await _signal.WaitAsync(Timeout.Infinite, token).ConfigureAwait(false);
                    continue;
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

    /// <summary>
    /// Reads what was committed since the last read while no offer can run, and goes live when it all fitted:
    /// a commit that offered before this read is in it, a commit that offers after it is fed by its offer.
    /// </summary>
    private bool GoLive()
    {
        lock (_gate)
        {
            var room = _capacity - _inMemory();
            if (room <= 0)
            {
                return false;
            }

            var limit = Math.Min(room, ReadBatch);
            // Synchronous on purpose: offers wait on this lock, and the store's pending reads complete synchronously.
            var count = ReadAsync(limit, CancellationToken.None).GetAwaiter().GetResult();
            if (count == limit)
            {
                return false;
            }

            _live = true;
            return true;
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

        lock (_gate)
        {
            _disposed = true;
        }

        _stopping.Dispose();
        _signal.Dispose();
    }
}
