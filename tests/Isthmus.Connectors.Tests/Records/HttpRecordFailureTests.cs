using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>How record calls fail: classified like deliveries, with injected faults that fire exactly as counted.</summary>
public sealed class HttpRecordFailureTests
{
    [Fact]
    public async Task Throttled_IsRateLimitedWithRetryAfter_ThenTheNextCallSucceeds()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(3);
        system.Emulator.SetFaults(new RecordFaults { ThrottleCount = 1, RetryAfterSeconds = 7 });

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () => await system.Connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct));
        var page = await system.Connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct);

        Assert.Equal(FailureKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(429, ex.StatusCode);
        Assert.Equal(3, page.Records.Count);
    }

    [Fact]
    public async Task ErrorCount_FailsExactlyThatManyCallsAsTransient()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(1);
        system.Emulator.SetFaults(new RecordFaults { ErrorCount = 3, ErrorStatus = 502 });

        var failures = new List<ConnectorException>();
        for (var i = 0; i < 3; i++)
        {
            failures.Add(await Assert.ThrowsAsync<ConnectorException>(async () =>
                await system.Connector.WriteAsync("customers", RecordSystem.Write("1", new JsonObject { ["tier"] = "A" }, key: "same-key"), RecordSystem.Ct)));
        }

        var written = await system.Connector.WriteAsync("customers", RecordSystem.Write("1", new JsonObject { ["tier"] = "A" }, key: "same-key"), RecordSystem.Ct);

        Assert.All(failures, f => Assert.Equal((FailureKind.Transient, 502), (f.Kind, f.StatusCode)));
        Assert.Contains("PATCH http://127.0.0.1:", failures[0].Message, StringComparison.Ordinal);
        Assert.Contains("/api/customers/1 → 502", failures[0].Message, StringComparison.Ordinal);
        Assert.Equal("2", written.Version);
        Assert.Equal(1, system.Emulator.Stats().Writes["customers"]);
    }

    [Fact]
    public async Task ApiKey_WrongIsUnauthorized_RightReadsAndWrites()
    {
        var options = new RecordsEmulatorOptions { Types = ["customers"], ApiKey = "k3y-crm-0001" };
        await using var system = await RecordSystem.StartAsync("  customers: { path: /api/customers }", options, extra: "auth: { bearer: k3y-crm-0001 }\n");
        await using var wrong = RecordSystem.Connect(system.Emulator.Url, "  customers: { path: /api/customers }", "auth: { bearer: not-the-key }\n");

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () => await wrong.GetAsync("customers", "1", RecordSystem.Ct));
        var created = await system.Connector.WriteAsync("customers", RecordSystem.Write(null, new JsonObject { ["name"] = "Acme" }), RecordSystem.Ct);

        Assert.Equal((FailureKind.Unauthorized, 401), (ex.Kind, ex.StatusCode));
        Assert.DoesNotContain("not-the-key", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Acme", (await system.Connector.GetAsync("customers", created.Id, RecordSystem.Ct))!.Fields["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unreachable_IsTransient()
    {
        await using var system = await RecordSystem.StartAsync();
        var url = system.Emulator.Url;
        await system.Emulator.DisposeAsync();
        await using var connector = RecordSystem.Connect(url, "  customers: { path: /api/customers }");

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct));

        Assert.Equal(FailureKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task NotAList_IsRejectedNamingTheSetting()
    {
        await using var system = await RecordSystem.StartAsync("  customers: { path: /api/customers, items: data.list }");
        system.Seed(1);

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () => await system.Connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.EndsWith("→ 200: the answer has no list of records at 'data.list' (items)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_ThrottledCall_FailsEachOfItsWrites_ThenRepeatsIdempotently()
    {
        await using var system = await RecordSystem.StartAsync("  customers: { path: /api/customers, batch: _batch, batchSize: 2 }");
        system.Emulator.SetFaults(new RecordFaults { ThrottleCount = 1 });
        var writes = Enumerable.Range(0, 3).Select(i => RecordSystem.Write(null, new JsonObject { ["n"] = i }, key: $"b-{i}")).ToList();

        var first = await system.Connector.WriteBatchAsync("customers", writes, RecordSystem.Ct);
        var again = await system.Connector.WriteBatchAsync("customers", writes, RecordSystem.Ct);

        Assert.All(first.Take(2), r => Assert.Equal(FailureKind.RateLimited, Assert.IsType<ConnectorException>(r.Error).Kind));
        Assert.NotNull(first[2].Record);
        Assert.Equal(first[2].Record!.Id, again[2].Record!.Id);
        Assert.Equal(3, system.Emulator.Records("customers").Count);
    }

    [Fact]
    public async Task FaultsApi_SetsCountsThatRunDown_AndDeleteClears()
    {
        await using var system = await RecordSystem.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(system.Emulator.Url) };

        (await http.PostAsync("/_emulator/faults", new StringContent("""{"errorCount":2,"throttleCount":1}""", System.Text.Encoding.UTF8, "application/json"), RecordSystem.Ct)).EnsureSuccessStatusCode();
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((int)(await http.GetAsync("/api/customers", RecordSystem.Ct)).StatusCode);
        }

        (await http.PostAsync("/_emulator/faults", new StringContent("""{"errorCount":5}""", System.Text.Encoding.UTF8, "application/json"), RecordSystem.Ct)).EnsureSuccessStatusCode();
        (await http.DeleteAsync("/_emulator/faults", RecordSystem.Ct)).EnsureSuccessStatusCode();

        Assert.Equal([503, 503, 429, 200], statuses);
        Assert.Equal(200, (int)(await http.GetAsync("/api/customers", RecordSystem.Ct)).StatusCode);
    }
}
