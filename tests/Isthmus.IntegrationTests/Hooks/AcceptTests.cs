using System.Net;
using System.Text.Json;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Hooks;

public sealed class AcceptTests : IAsyncLifetime
{
    private const string Flows = """
          forward:
            trigger: { connection: oa, event: "order.*" }
            steps:
              - action: send
                connection: sink
                method: POST
                path: "/orders/{{ data.key }}"
                body: "=data"
        """;

    private IsthmusApplication _app = null!;

    public async ValueTask InitializeAsync() => _app = await IsthmusApplication.StartAsync(Flows);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task NewEvent_Is202WithId_AndDelivered()
    {
        var response = await _app.SendAsync(new { id = "evt-1", type = "order.created", data = new { key = "42", amount = 5 } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("evt-1", body.GetProperty("id").GetString());
        Assert.Equal("accepted", body.GetProperty("status").GetString());
        var received = await _app.Sink.WaitForAsync(r => r.Count >= 1);
        Assert.Equal("/orders/42", received[0].Path);
        Assert.Equal(5, received[0].Json.GetProperty("amount").GetInt32());
    }

    [Fact]
    public async Task SameEventTwice_Is200Duplicate_AndProcessedOnce()
    {
        var first = await _app.SendAsync(new { id = "evt-dup", type = "order.created", data = new { key = "7" } });
        var second = await _app.SendAsync(new { id = "evt-dup", type = "order.created", data = new { key = "7" } });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("duplicate", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await _app.Sink.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(300);
        Assert.Single(_app.Sink.Requests);
        var events = await _app.GetJsonAsync("/api/v1/events");
        Assert.Equal(1, events.GetProperty("items").GetArrayLength());
    }
}
