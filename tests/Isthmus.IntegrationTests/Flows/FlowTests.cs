using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Flows;

public sealed class FlowTests() : IsthmusTest(Flows)
{
    private const string Flows = """
          decisions:
            trigger: { connection: oa, event: approval.updated }
            onlyOnChange:
              value: data.status
              to: [approved, rejected]
            steps:
              - transform: decision
                value:
                  id: "=data.key"
                  status: "=upper(data.status)"
                  note: "{{ data.key }} {{ data.status }}"
              - action: post
                connection: sink
                method: POST
                path: "/decisions/{{ data.key }}"
                headers: { X-Kind: decision }
                body: "=steps.decision"
          big-orders:
            trigger: { connection: oa, event: order.created }
            when: data.amount > 1000
            steps:
              - if: data.amount > 100000 && data.credit == 'A'
                then:
                  - action: auto
                    connection: sink
                    method: POST
                    path: /orders/auto
                    body: { id: "=data.key" }
                else:
                  - action: manual
                    connection: sink
                    method: POST
                    path: /orders/manual
                    body: { id: "=data.key" }
          sequence:
            trigger: { connection: oa, event: seq.* }
            steps:
              - action: seq
                connection: sink
                method: POST
                path: "/seq/{{ data.key }}"
                body: { n: "=data.n" }
        """;

    [Fact]
    public async Task OnlyOnChange_FiresOnlyWhenStatusMovesToAFinalValue()
    {
        foreach (var (i, status) in new[] { (1, "submitted"), (2, "in_review"), (3, "approved"), (4, "approved"), (5, "in_review"), (6, "rejected") })
        {
            await App.SendAsync(new { id = $"a{i}", type = "approval.updated", data = new { key = "AP-1", status } });
        }

        var received = await App.Sink.WaitForAsync(r => r.Count(x => x.Path.StartsWith("/decisions", StringComparison.Ordinal)) >= 2);
        await Task.Delay(500);
        var decisions = App.Sink.Requests.Where(r => r.Path.StartsWith("/decisions", StringComparison.Ordinal)).ToList();
        Assert.Equal(["APPROVED", "REJECTED"], decisions.Select(d => d.Json.GetProperty("status").GetString()));
        Assert.Equal("AP-1 approved", decisions[0].Json.GetProperty("note").GetString());
        Assert.Equal("decision", decisions[0].Header("X-Kind"));
        Assert.Equal("oa:a3:decisions:post", decisions[0].Header("Idempotency-Key"));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", decisions[0].Header("traceparent"));
    }

    [Fact]
    public async Task ConditionAndBranch_RouteByAmountAndCredit()
    {
        await App.SendAsync(new { id = "o1", type = "order.created", data = new { key = "SO-1", amount = 500, credit = "A" } });
        await App.SendAsync(new { id = "o2", type = "order.created", data = new { key = "SO-2", amount = 200000, credit = "A" } });
        await App.SendAsync(new { id = "o3", type = "order.created", data = new { key = "SO-3", amount = 200000, credit = "B" } });
        var received = await App.Sink.WaitForAsync(r => r.Count >= 2);
        await Task.Delay(300);
        var orders = App.Sink.Requests.ToList();
        Assert.Equal(2, orders.Count);
        Assert.Contains(orders, r => r.Path == "/orders/auto" && r.Json.GetProperty("id").GetString() == "SO-2");
        Assert.Contains(orders, r => r.Path == "/orders/manual" && r.Json.GetProperty("id").GetString() == "SO-3");
        var events = await App.GetJsonAsync("/api/v1/events?type=order.created");
        Assert.Equal(3, events.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task EventsOfOneKey_AreDeliveredInOrder_WhileKeysRunInParallel()
    {
        var sends = new List<Task<HttpResponseMessage>>();
        for (var n = 0; n < 40; n++)
        {
            // Sequential per key (the sender waits for the ack), interleaved across keys.
            foreach (var key in new[] { "K1", "K2", "K3" })
            {
                await App.SendAsync(new { id = $"{key}-{n}", type = "seq.step", data = new { key, n } });
            }
        }

        var received = await App.Sink.WaitForAsync(r => r.Count >= 120);
        foreach (var key in new[] { "K1", "K2", "K3" })
        {
            var ns = received.Where(r => r.Path == $"/seq/{key}").Select(r => r.Json.GetProperty("n").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(0, 40), ns);
        }
    }
}
