using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;
using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;

namespace Isthmus.Connectors.Tests.DingTalk;

/// <summary>The connection's actions against the emulator, over HTTP on 127.0.0.1.</summary>
public sealed class DingTalkOutboundTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sends_text_to_a_user_found_by_mobile_and_looks_the_mobile_up_once()
    {
        await using var h = await DingTalkHarness.StartAsync();

        await h.DeliverAsync(ChatActions.SendText, new { to = new { mobile = "13800000001" }, text = "Hello Li Wei" });
        await h.DeliverAsync(ChatActions.SendText, new { to = new { mobile = "13800000001" }, text = "Again" });

        var sent = h.Emulator.State.Messages;
        Assert.Equal(["Hello Li Wei", "Again"], sent.Select(m => m.Text));
        Assert.All(sent, m => Assert.Equal("manager001", m.To));
        Assert.Equal("sampleText", (string?)sent[0].Content["msgKey"]);
        Assert.Equal(DingTalkEmulator.AppKey, (string?)sent[0].Content["robotCode"]);
        Assert.Equal(1, h.Emulator.State.TokensIssued);
    }

    [Fact]
    public async Task Sends_markdown_to_a_group_chat()
    {
        await using var h = await DingTalkHarness.StartAsync();

        await h.DeliverAsync(ChatActions.SendMarkdown, new { to = new { chat = "cidGroup1" }, title = "Release", text = "## Release\n**v2** is out" });

        var m = Assert.Single(h.Emulator.State.Messages);
        Assert.Equal(("cidGroup1", "markdown", "## Release\n**v2** is out"), (m.To, m.Kind, m.Text));
        Assert.Equal("Release", (string?)JsonNode.Parse((string)m.Content["msgParam"]!)!["title"]);
    }

    [Fact]
    public async Task Sends_to_a_custom_robot_signed()
    {
        await using var h = await DingTalkHarness.StartAsync();

        await h.DeliverAsync(ChatActions.SendMarkdown, new { to = new { bot = "ops" }, text = "# Disk full\non db-1" });

        var m = Assert.Single(h.Emulator.State.Messages);
        Assert.Equal(("bot", "ops", "markdown"), (m.Via, m.To, m.Kind));
        Assert.Equal("Disk full", (string?)m.Content["markdown"]!["title"]);
    }

    [Fact]
    public async Task Refuses_unknown_recipients_plainly()
    {
        await using var h = await DingTalkHarness.StartAsync();

        var email = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { email = "li.wei@example.com" }, text = "x" }));
        var mobile = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { mobile = "19999999999" }, text = "x" }));
        var user = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { user = "nobody" }, text = "x" }));
        var bot = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { bot = "sales" }, text = "x" }));

        Assert.Equal(FailureKind.Rejected, email.Kind);
        Assert.Contains("DingTalk has no API to find a user by email", email.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Rejected, mobile.Kind);
        Assert.Contains("has mobile '19999999999'", mobile.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Rejected, user.Kind);
        Assert.Contains("invalidStaffIdList", user.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Rejected, bot.Kind);
        Assert.Contains("it has: ops", bot.Message, StringComparison.Ordinal);
        Assert.Empty(h.Emulator.State.Messages);
    }

    [Fact]
    public async Task Refreshes_an_expired_token_and_sends_at_once()
    {
        await using var h = await DingTalkHarness.StartAsync();
        await h.DeliverAsync(ChatActions.SendText, new { to = new { user = "manager001" }, text = "one" });

        h.Emulator.State.ExpireTokens();
        await h.DeliverAsync(ChatActions.SendText, new { to = new { user = "manager001" }, text = "two" });
        h.Emulator.State.ExpireTokens();
        await h.DeliverAsync(ChatActions.CreateTodo, new { to = new { user = "manager001" }, title = "three" });

        Assert.Equal(["one", "two", "three"], h.Emulator.State.Messages.Select(m => m.Text));
        Assert.Equal(3, h.Emulator.State.TokensIssued);
        Assert.Equal(3, h.Connector.Api.Tokens.Fetches);
    }

    [Fact]
    public async Task Queues_robot_sends_to_the_robot_limit_so_every_message_arrives()
    {
        // The emulator allows 20 robot messages per 3 s (a minute scaled by 20); the connection holds its sends to the same.
        await using var h = await DingTalkHarness.StartAsync(rateLimitScale: 20, botRate: "20/3s");

        for (var i = 1; i <= 24; i++)
        {
            await h.DeliverAsync(ChatActions.SendText, new { to = new { bot = "ops" }, text = $"alert {i}" });
        }

        Assert.Equal(24, h.Emulator.State.Messages.Count);
        Assert.Equal(0, h.Emulator.Limited);
        // The 21st waited for the window: more than 3 s passed between the first and the last message.
        var sent = h.Emulator.State.Messages;
        Assert.True(sent[^1].At - sent[0].At > TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Classifies_the_platform_limits_as_rate_limited()
    {
        // Scaled down, the emulator allows 20 calls per 100 s per API and 20 robot messages per 100 minutes.
        await using var h = await DingTalkHarness.StartAsync(extra: "rateLimit: 1000/1s\n", rateLimitScale: 0.01, botRate: "1000/1s");
        for (var i = 0; i < 20; i++)
        {
            await h.DeliverAsync(ChatActions.SendText, new { to = new { user = "manager001" }, text = $"m{i}" });
            await h.DeliverAsync(ChatActions.SendText, new { to = new { bot = "ops" }, text = $"b{i}" });
        }

        var app = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { user = "manager001" }, text = "over" }));
        var robot = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendText, new { to = new { bot = "ops" }, text = "over" }));

        Assert.Equal(FailureKind.RateLimited, app.Kind);
        Assert.Contains("QpsLimit", app.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.RateLimited, robot.Kind);
        Assert.Contains("130101", robot.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(1), robot.RetryAfter);
    }

    [Fact]
    public async Task Sends_a_card_receives_the_press_and_updates_the_card_in_place()
    {
        await using var h = await DingTalkHarness.StartAsync();
        var card = new { id = "REQ-42", title = "Purchase request", text = "Laptop", fields = new { Amount = "8,000 CNY" }, askComment = true };

        await h.DeliverAsync(ChatActions.SendCard, new { to = new { mobile = "13800000001" }, card });
        var sent = Assert.Single(h.Emulator.State.Messages);
        Assert.Equal(("card", "REQ-42", "manager001"), (sent.Kind, sent.CardId, sent.To));
        Assert.Equal("dtv1.card//IM_ROBOT.manager001", (string?)sent.Content["openSpaceId"]);
        var buttons = JsonNode.Parse((string)sent.Content["cardData"]!["cardParamMap"]!["buttons"]!)!.AsArray();
        Assert.Equal(["approve", "reject"], buttons.Select(b => (string?)b!["action"]));

        var answer = await h.Emulator.PressAsync(new PressRequest(sent.Id, "reject", "manager001", "Too expensive", Repeat: 2), Ct);

        Assert.Equal(200, answer.Status);
        Assert.True(h.Emulator.IsSuccessAck(answer.Body));
        var events = h.Events.ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0].Id, events[1].Id);
        var action = DingTalkHarness.Data<CardAction>(events[0]);
        Assert.Equal(("reject", "REQ-42", "manager001", "Too expensive"), (action.Action, action.CardId, action.User.Id, action.Comment));

        await h.DeliverAsync(ChatActions.UpdateCard, new { message = action.Message, card = new { id = "REQ-42", title = "Purchase request", status = "Rejected by Li Wei at 14:02" } });

        var updated = Assert.Single(h.Emulator.State.Messages);
        Assert.Single(updated.Updates);
        Assert.Contains("Rejected by Li Wei at 14:02", updated.CurrentText, StringComparison.Ordinal);
        Assert.Equal("[]", (string?)updated.Updates[0]["cardData"]!["cardParamMap"]!["buttons"]);
    }

    [Fact]
    public async Task A_card_cannot_go_to_a_custom_robot_or_without_a_template()
    {
        await using var h = await DingTalkHarness.StartAsync();
        var card = new { id = "C1", title = "T" };

        var bot = await Assert.ThrowsAsync<ConnectorException>(() => h.DeliverAsync(ChatActions.SendCard, new { to = new { bot = "ops" }, card }));

        Assert.Equal(FailureKind.Rejected, bot.Kind);
        Assert.Contains("cannot send interactive cards", bot.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creates_a_todo_for_the_users_unionId_once_per_delivery()
    {
        await using var h = await DingTalkHarness.StartAsync();
        var todo = new { to = new { employeeId = "staff002" }, title = "Review contract", description = "Clause 7", due = "2026-03-04T10:00:00Z", url = "https://oa.example.com/r/7" };

        await h.DeliverAsync(ChatActions.CreateTodo, todo, key: "delivery-7");
        await h.DeliverAsync(ChatActions.CreateTodo, todo, key: "delivery-7");

        var m = Assert.Single(h.Emulator.State.Messages);
        Assert.Equal(("todo", "staff002", "Review contract"), (m.Kind, m.To, m.Text));
        Assert.Equal(DingTalkEmulator.UnionId("staff002"), (string?)m.Content["executorIds"]![0]);
        Assert.Equal(DateTimeOffset.Parse("2026-03-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), (long)m.Content["dueTime"]!);
        Assert.Equal("https://oa.example.com/r/7", (string?)m.Content["detailUrl"]!["pcUrl"]);
    }

    [Fact]
    public async Task A_message_said_twice_by_the_platform_has_one_event_id()
    {
        await using var h = await DingTalkHarness.StartAsync();

        var answer = await h.Emulator.SayAsync(new SayRequest("staff002", "expense #12 urgent", Chat: "cidOps", Repeat: 2), Ct);

        Assert.Equal(200, answer.Status);
        var events = h.Events.ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0].Id, events[1].Id);
        var data = DingTalkHarness.Data<MessageReceived>(events[0]);
        Assert.Equal(("expense #12 urgent", "staff002", "Zhang San", "group"), (data.Text, data.Sender.Id, data.Sender.Name, data.Chat.Type));
    }

    [Fact]
    public async Task Pushes_approval_events_the_connector_maps()
    {
        await using var h = await DingTalkHarness.StartAsync();

        var answer = await h.Emulator.PushEventAsync(new JsonObject
        {
            ["EventType"] = "bpms_instance_change", ["processInstanceId"] = "pi-9", ["type"] = "finish", ["result"] = "agree", ["staffId"] = "staff002",
        }, cancellationToken: Ct);

        Assert.True(h.Emulator.IsSuccessAck(answer.Body));
        var e = Assert.Single(h.Events);
        Assert.Equal("approved", JsonDocument.Parse(e.Data).RootElement.GetProperty("status").GetString());
    }
}
