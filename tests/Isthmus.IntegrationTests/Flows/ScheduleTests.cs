using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Flows;

public sealed class ScheduleTests
{
    [Fact]
    public async Task ScheduledFlow_FiresEachOccurrenceOnce_AsADurableEvent()
    {
        await using var app = await IsthmusApplication.StartAsync("""
              every-second:
                trigger: { schedule: "* * * * * *" }
                steps:
                  - action: tick
                    connection: sink
                    method: POST
                    path: /tick
                    body: { at: "=data.scheduledAt", flow: "=data.flow" }
            """);
        var received = await app.Sink.WaitForAsync(r => r.Count >= 2);
        Assert.All(received, r => Assert.Equal("every-second", r.Json.GetProperty("flow").GetString()));
        Assert.Equal(received.Count, received.Select(r => r.Json.GetProperty("at").GetString()).Distinct().Count());
        var events = await app.GetJsonAsync("/api/v1/events?connection=$schedule");
        Assert.True(events.GetProperty("items").GetArrayLength() >= 2);
        Assert.Equal("schedule.every-second", events.GetProperty("items")[0].GetProperty("type").GetString());
    }
}
