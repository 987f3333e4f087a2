using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;
using Isthmus.Emulators.Records;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.ProjectChat;

/// <summary>
/// examples/project-chat as shipped, on the real host, against the record-system emulator as the OA and the DingTalk
/// emulator: project progress reaches the project's group, and decisions said in the group become OA log entries.
/// The project and its group find each other through the synced entity Project (its link to the OA record and its
/// chatGroup match index), not through a table kept by hand.
/// </summary>
public sealed partial class ProjectChatEndToEndTests : IAsyncLifetime
{
    private const string WebhookSecret = "oa-webhook-secret";

    private RecordsEmulator _oa = null!;
    private DingTalkEmulator _ding = null!;
    private IsthmusApplication _app = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _oa = new RecordsEmulator(new RecordsEmulatorOptions { Types = ["projects:P-", "projectLogs"] });
        await _oa.StartAsync(Ct);
        _ding = new DingTalkEmulator(new EmulatorOptions());
        await _ding.StartAsync(Ct);
        var ding = _ding.Connection().Settings;
        _app = await IsthmusApplication.StartWithConfigAsync(Example(new Dictionary<string, string>
        {
            ["OA_URL"] = _oa.Url,
            ["OA_WEBHOOK_SECRET"] = WebhookSecret,
            ["DINGTALK_APP_KEY"] = ding["appKey"],
            ["DINGTALK_APP_SECRET"] = ding["appSecret"],
            ["DINGTALK_CALLBACK_TOKEN"] = ding["token"],
            ["DINGTALK_AES_KEY"] = ding["aesKey"],
            ["DINGTALK_API_URL"] = ding["apiBaseUrl"],
            ["DINGTALK_OAPI_URL"] = ding["oapiBaseUrl"],
        }));
        _ding.CallbackUrl = new Uri(_app.Http.BaseAddress!, "/hooks/ding").ToString();
        _oa.Subscribe(new Uri(_app.Http.BaseAddress!, "/hooks/oa-changes").ToString(), WebhookSecret);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _ding.DisposeAsync();
        await _oa.DisposeAsync();
    }

    [Fact]
    public async Task Progress_and_status_changes_reach_the_project_group_and_other_edits_do_not()
    {
        _oa.Change("projects",
        [
            new JsonObject { ["name"] = "Apollo", ["status"] = "进行中", ["progress"] = 10, ["manager"] = "Li Wei", ["dingGroupId"] = "cidApollo" },
            new JsonObject { ["name"] = "Zephyr", ["status"] = "未开始", ["progress"] = 0, ["manager"] = "Wang Fang" },
        ], notify: true);
        await WaitForMessageAsync("cidApollo", "10%");

        Edit("P-0001", new JsonObject { ["progress"] = 40 });
        await WaitForMessageAsync("cidApollo", "40%");
        Edit("P-0001", new JsonObject { ["manager"] = "Zhang San" });
        Edit("P-0001", new JsonObject { ["status"] = "暂停" });

        // One project's changes are handled and sent in order: once "paused" is there, the manager's edit was handled before it.
        await WaitForMessageAsync("cidApollo", "paused");
        var sent = _ding.State.Messages.ToList();
        Assert.All(sent, m => Assert.Equal(("cidApollo", "markdown"), (m.To, m.Kind)));
        Assert.Equal(
        [
            "#### Apollo\n\n**Progress:** 10%\n\n**Status:** active\n\n**Manager:** Li Wei",
            "#### Apollo\n\n**Progress:** 40%\n\n**Status:** active\n\n**Manager:** Li Wei",
            "#### Apollo\n\n**Progress:** 40%\n\n**Status:** paused\n\n**Manager:** Zhang San",
        ], sent.Select(m => (string?)m.Content["msgParam"] is { } param ? (string?)JsonNode.Parse(param)!["text"] : m.Text));
    }

    [Fact]
    public async Task A_decision_said_in_the_group_becomes_one_log_entry_of_its_project_even_when_delivered_twice()
    {
        await SeedApolloAsync();

        await _ding.SayAsync(new SayRequest("staff002", "决定：周五发布 v2", Chat: "cidApollo", Repeat: 2), Ct);
        await _ding.SayAsync(new SayRequest("staff002", "午饭吃什么？", Chat: "cidApollo"), Ct);
        await _ding.SayAsync(new SayRequest("manager001", "We decided to drop IE support", Chat: "cidApollo"), Ct);

        // One chat's messages are handled and sent in order: once the second entry is there, a repeat of the first would be too.
        await WaitAsync(() => _oa.Records("projectLogs").Count >= 2);
        var logs = _oa.Records("projectLogs");
        Assert.Equal(["决定：周五发布 v2", "We decided to drop IE support"], logs.Select(l => (string?)l["text"]));
        var first = logs[0];
        Assert.Equal("P-0001", (string?)first["project"]);
        Assert.Equal("decision", (string?)first["kind"]);
        Assert.Equal("Zhang San", (string?)first["author"]);
        Assert.Equal("staff002", (string?)first["authorId"]);
        Assert.Equal("cidApollo", (string?)first["chatGroup"]);
        Assert.True(DateTimeOffset.TryParse((string?)first["time"], System.Globalization.CultureInfo.InvariantCulture, out _), first.ToJsonString());
        Assert.Equal("Li Wei", (string?)logs[1]["author"]);
        Assert.Equal(2, _oa.Stats().Writes["projectLogs"]);
        Assert.Equal(4, _ding.State.Callbacks.Count(c => c.Kind == "message" && c.Status == 200));
    }

    [Fact]
    public async Task A_decision_in_a_group_of_no_project_is_not_recorded_and_its_run_says_why()
    {
        await SeedApolloAsync();

        await _ding.SayAsync(new SayRequest("staff002", "决定：买一台咖啡机", Chat: "cidCoffee"), Ct);

        JsonElement run = default;
        await WaitAsync(() => (run = Runs("decisions-to-project-log").FirstOrDefault(r => r.GetProperty("key").GetString() == "cidCoffee")).ValueKind != JsonValueKind.Undefined);
        var note = run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "not-recorded");
        Assert.Equal("Not recorded: group cidCoffee is the chat group of no OA project; put this id in the project's 钉钉群 field", note.GetProperty("output").GetString());
        Assert.False(run.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null, run.GetRawText());
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(0, run.GetProperty("pendingDeliveries").GetInt32());
        Assert.Empty(_oa.Records("projectLogs"));
        Assert.Equal(0, (await _app.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").GetArrayLength());
    }

    private async Task SeedApolloAsync()
    {
        _oa.Change("projects", [new JsonObject { ["name"] = "Apollo", ["status"] = "进行中", ["progress"] = 10, ["manager"] = "Li Wei", ["dingGroupId"] = "cidApollo" }], notify: true);
        await WaitForMessageAsync("cidApollo", "10%");
    }

    private void Edit(string id, JsonObject fields)
    {
        fields["id"] = id;
        _oa.Change("projects", [fields], notify: true);
    }

    private List<JsonElement> Runs(string flow) =>
        [.. _app.GetJsonAsync($"/api/v1/runs?flow={flow}").GetAwaiter().GetResult().GetProperty("items").EnumerateArray()];

    private Task WaitForMessageAsync(string chat, string part) =>
        WaitAsync(() => _ding.State.Messages.Any(m => m.To == chat && m.Text.Contains(part, StringComparison.Ordinal)));

    private async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Waited 30 s. Sent: " + string.Join("; ", _ding.State.Messages.Select(m => $"{m.Kind} {m.To} {m.Text}"))
                    + " | Logs: " + string.Join("; ", _oa.Records("projectLogs").Select(r => r.ToJsonString()))
                    + " | Runs: " + (await _app.GetJsonAsync("/api/v1/runs")).GetRawText());
            }

            await Task.Delay(25, Ct);
        }
    }

    /// <summary>The shipped example with its <c>${VAR}</c> references filled in and a free port.</summary>
    private static string Example(Dictionary<string, string> values)
    {
        var path = Path.Combine(Repository.Root, "examples", "project-chat", "isthmus.yaml");
        var yaml = Reference().Replace(File.ReadAllText(path), m => values.TryGetValue(m.Groups[1].Value, out var value) ? value
            : m.Groups[2].Success ? m.Groups[2].Value : throw new InvalidOperationException($"the example needs {m.Groups[1].Value}"));
        return yaml.Replace("listen: http://127.0.0.1:8080", "listen: http://127.0.0.1:0", StringComparison.Ordinal);
    }


    [GeneratedRegex(@"\$\{(\w+)(?::-([^}]*))?\}")]
    private static partial Regex Reference();
}
