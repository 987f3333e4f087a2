using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using Isthmus.Ordering;

namespace Isthmus.Tests.Ordering;

public class KeyedWorkQueueTests
{
    private sealed record Item(string? Key, int Index, int FailuresLeft);

    /// <summary>
    /// For any interleaving of keys and any pattern of retries: every item finishes exactly once, and the items
    /// of one key finish in the order they were enqueued.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 60)]
    public bool EveryItemFinishesOnce_InOrderPerKey(NonEmptyArray<(byte Key, byte Failures)> spec, PositiveInt workers)
    {
        var items = spec.Get.Select((s, i) => new Item(s.Key % 7 == 0 ? null : $"k{s.Key % 5}", i, s.Failures % 3)).ToList();
        var finished = new ConcurrentQueue<Item>();
        var starts = new ConcurrentDictionary<int, int>();
        var inFlightPerKey = new ConcurrentDictionary<string, int>();
        var overlap = false;
        using var done = new CountdownEvent(items.Count);
        var queue = new KeyedWorkQueue<Item>(1 + (workers.Get % 8), async (item, _) =>
        {
            starts.AddOrUpdate(item.Index, 1, (_, n) => n + 1);
            if (item.Key is not null && inFlightPerKey.AddOrUpdate(item.Key, 1, (_, n) => n + 1) > 1)
            {
                overlap = true;
            }

            await Task.Yield();
            if (item.Key is not null)
            {
                inFlightPerKey.AddOrUpdate(item.Key, 0, (_, n) => n - 1);
            }

            if (item.FailuresLeft > 0)
            {
                return WorkResult<Item>.RetryLater(item with { FailuresLeft = item.FailuresLeft - 1 }, TimeProvider.System.GetUtcNow().AddMilliseconds(1));
            }

            finished.Enqueue(item);
            done.Signal();
            return WorkResult<Item>.Finished;
        }, TimeProvider.System);

        foreach (var item in items)
        {
            queue.Enqueue(item.Key, item);
        }

        var completed = done.Wait(TimeSpan.FromSeconds(10));
        queue.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var result = finished.ToList();
        var onceEach = result.Select(i => i.Index).Order().SequenceEqual(Enumerable.Range(0, items.Count));
        var inOrder = result.Where(i => i.Key is not null).GroupBy(i => i.Key)
            .All(g => g.Select(i => i.Index).SequenceEqual(g.Select(i => i.Index).Order()));
        return completed && onceEach && inOrder && !overlap && queue.Count == 0;
    }

    [Fact]
    public async Task ParkedKey_DoesNotBlockOtherKeys()
    {
        var order = new ConcurrentQueue<string>();
        var gate = new TaskCompletionSource();
        await using var queue = new KeyedWorkQueue<string>(2, (item, _) =>
        {
            order.Enqueue(item);
            if (item == "slow")
            {
                gate.TrySetResult();
                return ValueTask.FromResult(WorkResult<string>.RetryLater("slow-retry", TimeProvider.System.GetUtcNow().AddMilliseconds(300)));
            }

            return ValueTask.FromResult(WorkResult<string>.Finished);
        }, TimeProvider.System);

        queue.Enqueue("a", "slow");
        queue.Enqueue("a", "after-slow");
        await gate.Task;
        queue.Enqueue("b", "other");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (order.Count < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(["slow", "other", "slow-retry", "after-slow"], order.ToArray());
    }
}
