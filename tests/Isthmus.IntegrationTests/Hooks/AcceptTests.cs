using System.Net;
using System.Text.Json;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Hooks;

public sealed class AcceptTests() : IsthmusTest(Forward("/orders/{{ data.key }}", "order.*"))
{
    [Fact]
    public async Task NewEvent_Is202WithId_AndDelivered()
    {
        var response = await App.SendAsync(new { id = "evt-1", type = "order.created", data = new { key = "42", amount = 5 } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("evt-1", body.GetProperty("id").GetString());
        Assert.Equal("accepted", body.GetProperty("status").GetString());
        var received = await App.Sink.WaitForAsync(r => r.Count >= 1);
        Assert.Equal("/orders/42", received[0].Path);
        Assert.Equal(5, received[0].Json.GetProperty("amount").GetInt32());
    }

    [Fact]
    public async Task SameEventTwice_Is200Duplicate_AndProcessedOnce()
    {
        var first = await App.SendAsync(new { id = "evt-dup", type = "order.created", data = new { key = "7" } });
        var second = await App.SendAsync(new { id = "evt-dup", type = "order.created", data = new { key = "7" } });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("duplicate", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await App.Sink.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(300);
        Assert.Single(App.Sink.Requests);
        var events = await App.GetJsonAsync("/api/v1/events");
        Assert.Equal(1, events.GetProperty("items").GetArrayLength());
    }
}
