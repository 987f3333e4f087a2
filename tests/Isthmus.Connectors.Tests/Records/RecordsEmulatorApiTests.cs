using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>The emulator's REST API as any client sees it.</summary>
public sealed class RecordsEmulatorApiTests
{
    [Fact]
    public async Task Api_ListGetCreateConditionalUpdateAndIdempotency_BehaveAsDocumented()
    {
        await using var emulator = new RecordsEmulator(new RecordsEmulatorOptions { Types = ["customers:C-"] });
        await emulator.StartAsync(TestContext.Current.CancellationToken);
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = new Uri(emulator.Url) };

        using var create = Post("/api/customers", """{"name":"Acme","tier":"B"}""", "key-1");
        var created = await http.SendAsync(create, ct);
        using var repeat = Post("/api/customers", """{"name":"Acme","tier":"B"}""", "key-1");
        var repeated = await http.SendAsync(repeat, ct);
        using var taken = Post("/api/customers", """{"id":"C-0001","name":"Other"}""", null);
        var conflict = await http.SendAsync(taken, ct);
        using var stale = new HttpRequestMessage(HttpMethod.Patch, "/api/customers/C-0001") { Content = Body("""{"tier":"A"}""") };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"7\"");
        var staleAnswer = await http.SendAsync(stale, ct);
        using var fresh = new HttpRequestMessage(HttpMethod.Patch, "/api/customers/C-0001") { Content = Body("""{"tier":"A"}""") };
        fresh.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var freshAnswer = await http.SendAsync(fresh, ct);
        var got = await http.GetAsync("/api/customers/C-0001", ct);
        var list = JsonNode.Parse(await http.GetStringAsync("/api/customers?limit=1&includeDeleted=true", ct))!;
        var deleted = await http.DeleteAsync("/api/customers/C-0001", ct);
        var deletedAgain = await http.DeleteAsync("/api/customers/C-0001", ct);
        var missing = await http.GetAsync("/api/customers/C-0001", ct);
        var tombstones = JsonNode.Parse(await http.GetStringAsync("/api/customers?page=1&pageSize=10&includeDeleted=true", ct))!;
        var live = JsonNode.Parse(await http.GetStringAsync("/api/customers?offset=0&limit=10", ct))!;

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag!.ToString());
        Assert.Equal(await created.Content.ReadAsStringAsync(ct), await repeated.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleAnswer.StatusCode);
        var body = JsonNode.Parse(await staleAnswer.Content.ReadAsStringAsync(ct))!;
        Assert.Equal("version_mismatch", body["error"]!.GetValue<string>());
        Assert.Equal(1, body["current"]!["version"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, freshAnswer.StatusCode);
        Assert.Equal("\"2\"", got.Headers.ETag!.ToString());
        var item = JsonNode.Parse(await got.Content.ReadAsStringAsync(ct))!;
        Assert.Equal(("Acme", "A", 2), (item["name"]!.GetValue<string>(), item["tier"]!.GetValue<string>(), item["version"]!.GetValue<int>()));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", item["updatedAt"]!.GetValue<string>());
        Assert.Equal((1, 1), (list["items"]!.AsArray().Count, list["total"]!.GetValue<int>()));
        Assert.Null(list["nextCursor"]);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (deleted.StatusCode, deletedAgain.StatusCode, missing.StatusCode));
        Assert.True(tombstones["items"]![0]!["deleted"]!.GetValue<bool>());
        Assert.Equal(0, live["total"]!.GetValue<int>());
        Assert.Equal(3, emulator.Stats().Writes["customers"]);
    }

    [Fact]
    public async Task Stats_CountEveryApiRequest_ABatchOnce_ControlCallsNot()
    {
        await using var emulator = new RecordsEmulator(new RecordsEmulatorOptions { Types = ["customers"] });
        var ct = TestContext.Current.CancellationToken;
        await emulator.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri(emulator.Url) };

        using var batch = Post("/api/customers/_batch", """{"items":[{"fields":{"name":"A"}},{"fields":{"name":"B"}},{"id":"9","fields":{"name":"C"}}]}""", null);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(batch, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/customers/404", ct)).StatusCode);
        var stats = JsonNode.Parse(await http.GetStringAsync("/_emulator/stats", ct))!;

        Assert.Equal(2, stats["apiCalls"]!.GetValue<long>());
        Assert.Equal(3, stats["writes"]!["customers"]!.GetValue<long>());
        Assert.Equal(2, emulator.Stats().ApiCalls);
    }

    private static HttpRequestMessage Post(string path, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Body(json) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return request;
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");
}
