using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Http;

public sealed class HttpLimitTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static Delivery Numbered(int n) => Erp.Delivery(idempotencyKey: $"idem-{n}");

    private static async Task EventuallyAsync(Func<bool> condition, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string caller = "")
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached in time {caller}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Deliver_MoreCallsThanMaxConcurrency_QueuesThemAndNeverExceedsLimit()
    {
        var gate = new SemaphoreSlim(0);
        var platform = new FakePlatform(async (_, ct) =>
        {
            await gate.WaitAsync(ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var connector = Erp.Connect(platform, "maxConcurrency: 2");

        var deliveries = Enumerable.Range(1, 6).Select(n => connector.DeliverAsync(Numbered(n)).AsTask()).ToArray();
        await EventuallyAsync(() => platform.InFlight == 2);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(2, platform.Calls.Count);

        gate.Release(6);
        var receipts = await Task.WhenAll(deliveries).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.All(receipts, r => Assert.Equal(200, r.StatusCode));
        Assert.Equal(2, platform.MaxInFlight);
        Assert.Equal(6, platform.Calls.Count);
    }

    [Fact]
    public async Task Deliver_OverRateLimit_QueuesInOrderUntilPermitsReplenish()
    {
        // The rate limiter runs on its own monotonic clock, so this test uses real time with generous bounds.
        var platform = FakePlatform.Answer(HttpStatusCode.OK);
        var connector = Erp.Connect(platform, "rateLimit: 5/s");
        var started = System.Diagnostics.Stopwatch.StartNew();

        var deliveries = Enumerable.Range(1, 10).Select(n => connector.DeliverAsync(Numbered(n)).AsTask()).ToArray();
        await EventuallyAsync(() => platform.Calls.Count == 5);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var (early, checkedAt) = (platform.Calls.Count, started.Elapsed);
        var receipts = await Task.WhenAll(deliveries).WaitAsync(Patience, TestContext.Current.CancellationToken);

        // One period's permits go at once; the rest wait for the next period, none fails, and the oldest go first.
        if (checkedAt < TimeSpan.FromSeconds(0.9))
        {
            Assert.Equal(5, early);
        }

        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.9), $"10 calls at 5/s took only {started.Elapsed}");
        Assert.All(receipts, r => Assert.Equal(200, r.StatusCode));
        var keys = platform.Calls.Select(c => c.Header("Idempotency-Key")).ToList();
        Assert.Equal(Enumerable.Range(1, 5).Select(n => $"idem-{n}").Order(), keys.Take(5).Order());
        Assert.Equal(Enumerable.Range(6, 5).Select(n => $"idem-{n}").Order(), keys.Skip(5).Order());
    }

    [Fact]
    public async Task Deliver_RepeatedServerErrors_OpenCircuitAndFailFastWithRemainingBreak()
    {
        var time = new FakeTimeProvider();
        var platform = FakePlatform.Answer(HttpStatusCode.InternalServerError, "down");
        var connector = Erp.Connect(platform, "circuitBreaker: { minimumThroughput: 4, failureRatio: 0.5, breakDuration: 15s }", time);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(500, (await connector.FailAsync(Erp.Delivery())).StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(5));
        var broken = await connector.FailAsync(Erp.Delivery());

        Assert.Equal(FailureKind.Transient, broken.Kind);
        Assert.Equal(TimeSpan.FromSeconds(10), broken.RetryAfter);
        Assert.Null(broken.StatusCode);
        Assert.Equal("POST http://127.0.0.1:9100/orders/42 not sent: the circuit is open after repeated failures; calls resume in 10 s", broken.Message);
        Assert.Equal(4, platform.Calls.Count);

        time.Advance(TimeSpan.FromSeconds(10));
        await connector.FailAsync(Erp.Delivery());
        Assert.Equal(5, platform.Calls.Count);
    }

    [Fact]
    public async Task Deliver_RejectedAndRateLimitedAnswers_DoNotOpenCircuit()
    {
        var status = HttpStatusCode.BadRequest;
        var platform = new FakePlatform((_, _) => Task.FromResult(new HttpResponseMessage(status)));
        var connector = Erp.Connect(platform, "circuitBreaker: { minimumThroughput: 2 }", new FakeTimeProvider());

        for (var i = 0; i < 6; i++)
        {
            status = i % 2 == 0 ? HttpStatusCode.BadRequest : HttpStatusCode.TooManyRequests;
            await connector.FailAsync(Erp.Delivery());
        }

        Assert.Equal(6, platform.Calls.Count);
    }

    [Fact]
    public async Task Deliver_TimeoutsCountAsFailures_OpenCircuit()
    {
        var time = new FakeTimeProvider();
        var platform = new FakePlatform(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        var connector = Erp.Connect(platform, "timeout: 1s\ncircuitBreaker: { minimumThroughput: 2 }", time);

        for (var i = 1; i <= 2; i++)
        {
            var delivery = connector.DeliverAsync(Erp.Delivery()).AsTask();
            await EventuallyAsync(() => platform.Calls.Count == i);
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Contains("(timeout)", (await Assert.ThrowsAsync<ConnectorException>(() => delivery)).Message, StringComparison.Ordinal);
        }

        Assert.Contains("circuit is open", (await connector.FailAsync(Erp.Delivery())).Message, StringComparison.Ordinal);
    }
}
