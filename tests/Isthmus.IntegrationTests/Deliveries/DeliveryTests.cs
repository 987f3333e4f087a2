using System.Net;
using Isthmus.IntegrationTests.Support;
using Microsoft.AspNetCore.Http;

namespace Isthmus.IntegrationTests.Deliveries;

public sealed class DeliveryTests() : IsthmusTest(Forward("/x/{{ data.key }}"))
{
    [Fact]
    public async Task TransientFailures_AreRetried_WithTheSameIdempotencyKey()
    {
        var calls = 0;
        App.Sink.Respond = _ => Interlocked.Increment(ref calls) <= 2 ? Results.StatusCode(503) : Results.Ok();
        await App.SendAsync(new { id = "r1", type = "t", data = new { key = "1" } });
        var received = await App.Sink.WaitForAsync(r => r.Count >= 3);
        Assert.Single(received.Select(r => r.Header("Idempotency-Key")).Distinct());
        var run = await WaitForRunAsync("completed");
        var deliveries = await App.GetJsonAsync($"/api/v1/runs/{run}");
        var delivery = deliveries.GetProperty("deliveries")[0];
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        var detail = await App.GetJsonAsync($"/api/v1/deliveries/{delivery.GetProperty("id").GetInt64()}");
        Assert.Equal(3, detail.GetProperty("attempts").GetArrayLength());
        Assert.Equal(503, detail.GetProperty("attempts")[0].GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task ClientError_IsNotRetried_AndBecomesADeadLetter_ThatCanBeReplayed()
    {
        App.Sink.Respond = _ => Results.Problem(statusCode: 422, detail: "bad order");
        await App.SendAsync(new { id = "d1", type = "t", data = new { key = "1" } });
        await WaitForRunAsync("failed");
        Assert.Single(App.Sink.Requests);

        var dead = await App.GetJsonAsync("/api/v1/dead-letters");
        var item = dead.GetProperty("items")[0];
        Assert.Contains("422", item.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var id = item.GetProperty("id").GetInt64();

        App.Sink.Respond = _ => Results.Ok();
        var replay = await App.Http.PostAsync(new Uri($"/api/v1/dead-letters/{id}/replay", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var received = await App.Sink.WaitForAsync(r => r.Count >= 2);
        Assert.Equal(received[0].Header("Idempotency-Key"), received[1].Header("Idempotency-Key"));
        await WaitForRunAsync("completed");
        Assert.Equal(0, (await App.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").GetArrayLength());
        var audit = await App.GetJsonAsync("/api/v1/audit");
        Assert.Equal("dead-letter.replay", audit[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task ExhaustedRetries_BecomeADeadLetter_ThatCanBeDiscarded()
    {
        App.Sink.Respond = _ => Results.StatusCode(500);
        await App.SendAsync(new { id = "e1", type = "t", data = new { key = "1" } });
        await WaitForRunAsync("failed");
        Assert.Equal(3, App.Sink.Requests.Count); // maxAttempts: 3
        var id = (await App.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items")[0].GetProperty("id").GetInt64();
        var discard = await App.Http.PostAsync(new Uri($"/api/v1/dead-letters/{id}/discard", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
        Assert.Equal(0, (await App.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task RetryAfter_IsHonoured()
    {
        var calls = 0;
        App.Sink.Respond = _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                return new RetryAfterResult();
            }

            return Results.Ok();
        };
        var started = DateTime.UtcNow;
        await App.SendAsync(new { id = "ra", type = "t", data = new { key = "1" } });
        await App.Sink.WaitForAsync(r => r.Count >= 2);
        // baseDelay is 50 ms; only Retry-After explains a wait of a second.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the retry came before Retry-After");
    }

    private sealed class RetryAfterResult : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = 429;
            httpContext.Response.Headers.RetryAfter = "1";
            return Task.CompletedTask;
        }
    }

    private async Task<long> WaitForRunAsync(string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var runs = await App.GetJsonAsync($"/api/v1/runs?status={status}");
            if (runs.GetProperty("items").GetArrayLength() > 0)
            {
                return runs.GetProperty("items")[0].GetProperty("id").GetInt64();
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no run reached status {status}");
    }
}
