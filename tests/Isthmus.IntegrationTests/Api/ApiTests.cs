using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Isthmus.Api;
using Isthmus.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Isthmus.IntegrationTests.Api;

public sealed class ApiTests() : IsthmusTest(Forward("/x"))
{
    [Fact]
    public async Task Api_WithoutKey_Is401_AndWithUnknownKey_Is401()
    {
        using var anonymous = new HttpClient { BaseAddress = App.Http.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/v1/events", UriKind.Relative))).StatusCode);
        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "ism_not_a_key_at_all");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/v1/events", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ViewerKey_CanRead_ButNotAct()
    {
        var apiKeys = App.Services.GetRequiredService<ApiKeys>();
        var (viewer, _) = await apiKeys.CreateAsync("reader", ApiKeys.Viewer, null, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = App.Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", viewer);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/flows", UriKind.Relative))).StatusCode);
        var disable = await client.PostAsync(new Uri("/api/v1/flows/forward/disable", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Forbidden, disable.StatusCode);
    }

    [Fact]
    public async Task DisabledFlow_DoesNotRun_UntilEnabled()
    {
        Assert.Equal(HttpStatusCode.OK, (await App.Http.PostAsync(new Uri("/api/v1/flows/forward/disable", UriKind.Relative), null)).StatusCode);
        await App.SendAsync(new { id = "off", type = "t", data = new { key = "1" } });
        await Task.Delay(500);
        Assert.Empty(App.Sink.Requests);
        var flows = await App.GetJsonAsync("/api/v1/flows");
        Assert.False(flows[0].GetProperty("enabled").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await App.Http.PostAsync(new Uri("/api/v1/flows/forward/enable", UriKind.Relative), null)).StatusCode);
        await App.SendAsync(new { id = "on", type = "t", data = new { key = "1" } });
        await App.Sink.WaitForAsync(r => r.Count == 1);
    }

    [Fact]
    public async Task ReplayEvent_RunsItsFlowsAgain_WithAFreshIdempotencyKey()
    {
        await App.SendAsync(new { id = "rp", type = "t", data = new { key = "1" } });
        await App.Sink.WaitForAsync(r => r.Count == 1);
        var seq = (await App.GetJsonAsync("/api/v1/events")).GetProperty("items")[0].GetProperty("seq").GetInt64();
        Assert.Equal(HttpStatusCode.Accepted, (await App.Http.PostAsync(new Uri($"/api/v1/events/{seq}/replay", UriKind.Relative), null)).StatusCode);
        var received = await App.Sink.WaitForAsync(r => r.Count == 2);
        Assert.NotEqual(received[0].Header("Idempotency-Key"), received[1].Header("Idempotency-Key"));
    }

    [Fact]
    public async Task HealthReadinessMetricsAndOpenApi_AreServed()
    {
        using var anonymous = new HttpClient { BaseAddress = App.Http.BaseAddress };
        Assert.Equal("ok", await anonymous.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal("ready", await anonymous.GetStringAsync(new Uri("/readyz", UriKind.Relative)));
        await App.SendAsync(new { id = "m1", type = "t", data = new { key = "1" } });
        await App.SendAsync(new { id = "m1", type = "t", data = new { key = "1" } });
        await App.SendAsync(new { id = "m2" }, r => r.Headers.Remove("X-Hub-Signature-256"));
        await App.Sink.WaitForAsync(r => r.Count == 1);

        // The latency is recorded when the delivery's answer is, which can come a moment after the sink has the request.
        var metrics = "";
        await Sync.Wait.UntilAsync(async () => (metrics = await anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative)))
            .Contains("isthmus_delivery_latency_seconds_bucket", StringComparison.Ordinal), "the delivery's latency never reached /metrics");
        Assert.Contains("isthmus_events_accepted_total", metrics, StringComparison.Ordinal);
        Assert.Contains("isthmus_events_duplicate_total", metrics, StringComparison.Ordinal);
        Assert.Matches("isthmus_events_rejected_total\\{[^}]*reason=\"unauthorized\"", metrics);
        Assert.Contains("isthmus_delivery_latency_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_process_memory_working_set", metrics, StringComparison.Ordinal); // the runtime's meter
        var openApi = await anonymous.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/v1/dead-letters/{id}/replay", out _));
    }

    [Fact]
    public async Task ValidateEndpoint_ListsErrorsWithLocations()
    {
        var response = await App.Http.PostAsync(new Uri("/api/v1/config/validate", UriKind.Relative),
            new StringContent("connections:\n  a:\n    kind: nosuch\nflows: {}\n", System.Text.Encoding.UTF8, "application/yaml"));
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.False(body.GetProperty("valid").GetBoolean());
        var error = body.GetProperty("errors")[0];
        Assert.Equal("posted.yaml:2:3", error.GetProperty("location").GetString());
        Assert.Contains("nosuch", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateEndpoint_RefusesAnActionTheConnectionDoesNotOffer()
    {
        const string yaml = """
            connections:
              erp: { kind: http, baseUrl: "http://127.0.0.1:9" }
              oa: { kind: webhook, auth: { type: none } }
            flows:
              f:
                trigger: { connection: oa, event: "*" }
                steps:
                  - action: typo
                    connection: erp
                    do: requets
                  - action: backwards
                    connection: oa
            """;
        var response = await App.Http.PostAsync(new Uri("/api/v1/config/validate", UriKind.Relative),
            new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"));
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var errors = body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("location").GetString() + " " + e.GetProperty("message").GetString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("posted.yaml:8:", StringComparison.Ordinal) && e.Contains("no action 'requets'; did you mean 'request'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("posted.yaml:11:", StringComparison.Ordinal) && e.Contains("'oa' only receives events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfigChange_IsPickedUpWithoutRestart_AndABrokenFileKeepsTheOldOne()
    {
        var text = await File.ReadAllTextAsync(App.ConfigPath);
        Assert.Contains("path: \"/x\"", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(App.ConfigPath, text.Replace("path: \"/x\"", "path: \"/reloaded\"", StringComparison.Ordinal));
        await WaitUntilAsync(async () =>
        {
            await App.SendAsync(new { id = Guid.NewGuid().ToString(), type = "t", data = new { key = "1" } });
            await Task.Delay(300);
            return App.Sink.Requests.Any(r => r.Path == "/reloaded");
        });

        await File.WriteAllTextAsync(App.ConfigPath, text.Replace("path: \"/x\"", "path: [unclosed", StringComparison.Ordinal));
        await WaitUntilAsync(async () =>
        {
            var status = await App.GetJsonAsync("/api/v1/config/status");
            return status.GetProperty("lastReloadErrors").GetArrayLength() > 0;
        });
        var before = App.Sink.Requests.Count;
        await App.SendAsync(new { id = "after-broken", type = "t", data = new { key = "1" } });
        var received = await App.Sink.WaitForAsync(r => r.Count > before);
        Assert.Equal("/reloaded", received[^1].Path);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(200);
        }
    }
}
