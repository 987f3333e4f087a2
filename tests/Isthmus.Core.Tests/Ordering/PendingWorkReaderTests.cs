using System.Collections.Concurrent;
using Isthmus.Ordering;

namespace Isthmus.Tests.Ordering;

public class PendingWorkReaderTests
{
    /// <summary>A store stand-in: ids are handed out in commit order, as the single writer does.</summary>
    private sealed class Log
    {
        private readonly List<long> _committed = [];
        private long _next;

        public long Commit()
        {
            lock (_committed)
            {
                var id = ++_next;
                _committed.Add(id);
                return id;
            }
        }

        public Task<IReadOnlyList<long>> ReadAsync(long after, int limit, CancellationToken cancellationToken)
        {
            lock (_committed)
            {
                return Task.FromResult<IReadOnlyList<long>>(_committed.Where(id => id > after).Take(limit).ToList());
            }
        }
    }

    [Fact]
    public async Task ConcurrentCommits_AreEachFedOnce_InIdOrder()
    {
        var log = new Log();
        var fed = new ConcurrentQueue<long>();
        await using var reader = new PendingWorkReader<long>(log.ReadAsync, id => id, fed.Enqueue, () => 0, 10_000, ex => throw ex);
        reader.Start();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                log.Commit();
                reader.Notify();
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }
            }
        })));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (fed.Count < 2000 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), fed.ToArray());
    }

    [Fact]
    public async Task WorkCommittedBeforeStart_IsRecovered()
    {
        var log = new Log();
        for (var i = 0; i < 1500; i++)
        {
            log.Commit();
        }

        var fed = new ConcurrentQueue<long>();
        await using var reader = new PendingWorkReader<long>(log.ReadAsync, id => id, fed.Enqueue, () => 0, 10_000, ex => throw ex);
        reader.Start();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (fed.Count < 1500 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1500, fed.Count);
        Assert.Equal(1500, reader.Cursor);
    }

    [Fact]
    public async Task ReadingPauses_WhileMemoryIsFull()
    {
        var log = new Log();
        for (var i = 0; i < 100; i++)
        {
            log.Commit();
        }

        var fed = new ConcurrentQueue<long>();
        var inMemory = 0;
        await using var reader = new PendingWorkReader<long>(log.ReadAsync, id => id, id => { fed.Enqueue(id); Interlocked.Increment(ref inMemory); },
            () => Volatile.Read(ref inMemory), 30, ex => throw ex);
        reader.Start();
        await Task.Delay(300);
        Assert.Equal(30, fed.Count);
        Interlocked.Exchange(ref inMemory, 0); // the workers finished those
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (fed.Count < 60 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), fed.Take(60));
    }

    [Fact]
    public async Task OfferedCommits_AreEachFedOnce_InIdOrder_EvenWhenMemoryFillsUp()
    {
        var log = new Log();
        for (var i = 0; i < 300; i++)
        {
            log.Commit(); // Before start: recovered by reading.
        }

        var fed = new ConcurrentQueue<long>();
        var inMemory = 0;
        await using var reader = new PendingWorkReader<long>(log.ReadAsync, id => id, id => { fed.Enqueue(id); Interlocked.Increment(ref inMemory); },
            () => Volatile.Read(ref inMemory), 100, ex => throw ex);
        reader.Start();
        using var draining = new CancellationTokenSource();
        var consumer = Task.Run(async () =>
        {
            while (!draining.IsCancellationRequested)
            {
                if (Volatile.Read(ref inMemory) > 0)
                {
                    Interlocked.Decrement(ref inMemory);
                }
                else
                {
                    await Task.Delay(1);
                }
            }
        });

        // One committing thread, as the store's writer: commits of 1 to 7 items, each offered right after it.
        for (var commit = 0; commit < 400; commit++)
        {
            reader.Offer(Enumerable.Range(0, 1 + (commit % 7)).Select(_ => log.Commit()).ToList());
            if (commit % 20 == 0)
            {
                await Task.Delay(2);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!reader.Live && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        // Caught up: a commit is fed by its offer, before the offer returns.
        Assert.True(reader.Live);
        var last = log.Commit();
        reader.Offer([last]);
        Assert.Equal(last, reader.Cursor);

        await draining.CancelAsync();
        await consumer;
        var total = (await log.ReadAsync(0, int.MaxValue, CancellationToken.None)).Count;
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), fed.ToArray());
    }
}
