using Isthmus.Connectors.Chat;
using Isthmus.Emulation;
using Isthmus.Emulators.Feishu;

namespace Isthmus.Connectors.Tests.Feishu;

public sealed class FeishuOutboundTests : IAsyncLifetime
{
    private FeishuEmulator _emulator = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = new FeishuEmulator(new EmulatorOptions { CallbackUrl = "http://127.0.0.1:9/hooks/feishu" });
        await _emulator.StartAsync(TestContext.Current.CancellationToken);
        _emulator.State.AddUser(new EmulatedUser("ou_li", "Li Wei", "li.wei@example.com", "+8613800000001", "E1001"));
        _emulator.State.AddUser(new EmulatedUser("ou_wang", "Wang Fang", "wang.fang@example.com"));
    }

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task Send_text_by_email_looks_the_user_up_once_and_remembers_it()
    {
        var identities = new InMemoryIdentityDirectory();
        await using var connector = Feishu.ForEmulator(_emulator, identities: identities);
        await connector.DoAsync("send-text", new { to = new { email = "li.wei@example.com" }, text = "hello" });
        Assert.Equal("ou_li", await identities.FindAsync("feishu", "email", "li.wei@example.com", default));
        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("ou_li", "text", "hello"), (sent.To, sent.Kind, sent.Text));
    }

    [Fact]
    public async Task Send_markdown_to_a_chat_and_text_by_employee_id()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        await connector.DoAsync("send-markdown", new { to = new { chat = "oc_team" }, title = "Daily", text = "**3** open" }, "m1");
        await connector.DoAsync("send-text", new { to = new { employeeId = "E1001" }, text = "hi" }, "m2");
        Assert.Equal(("oc_team", "markdown"), (_emulator.State.Messages[0].To, _emulator.State.Messages[0].Kind));
        Assert.Contains("**3** open", _emulator.State.Messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("ou_li", _emulator.State.Messages[1].To);
    }

    [Fact]
    public async Task The_same_delivery_sent_twice_makes_one_message()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        await connector.DoAsync("send-text", new { to = new { user = "ou_li" }, text = "once" }, "same-key");
        await connector.DoAsync("send-text", new { to = new { user = "ou_li" }, text = "once" }, "same-key");
        Assert.Single(_emulator.State.Messages);
    }

    [Fact]
    public async Task An_expired_token_is_fetched_again_and_the_send_still_succeeds()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        await connector.DoAsync("send-text", new { to = new { user = "ou_li" }, text = "one" }, "t1");
        _emulator.State.ExpireTokens();
        await connector.DoAsync("send-text", new { to = new { user = "ou_li" }, text = "two" }, "t2");
        Assert.Equal(2, _emulator.State.Messages.Count);
        Assert.Equal(2, _emulator.State.TokensIssued);
        Assert.Equal(2, connector.TokenFetches);
    }

    [Fact]
    public async Task A_card_is_sent_pressed_and_updated_in_place()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        await connector.DoAsync("send-card", new
        {
            to = new { user = "ou_li" },
            card = new { id = "AP-1", title = "Leave request", fields = new { Days = 3 }, askComment = true },
        });
        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("card", "AP-1"), (sent.Kind, sent.CardId));
        Assert.True(sent.Content["config"]!["update_multi"]!.GetValue<bool>());

        await connector.DoAsync("update-card", new
        {
            message = new { id = sent.Id },
            card = new { id = "AP-1", title = "Leave request", status = "Approved by Li Wei at 14:02" },
        }, "u1");
        Assert.Single(sent.Updates);
        Assert.Contains("Approved by Li Wei at 14:02", sent.CurrentText, StringComparison.Ordinal);
        Assert.Empty(FeishuEmulator.FindButtonValues(sent.Updates[0]));
    }

    [Fact]
    public async Task Create_todo_makes_a_task_for_the_person()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        var receipt = await connector.DoAsync("create-todo", new { to = new { mobile = "+8613800000001" }, title = "Check invoice", due = "2026-12-01", url = "https://oa.example.com/1" });
        var task = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("todo", "ou_li"), (task.Kind, task.To));
        Assert.Contains("https://oa.example.com/1", task.Text, StringComparison.Ordinal);
        Assert.Equal("true", task.Content["due"]!["is_all_day"]!.ToJsonString());
        Assert.Contains(task.Id, receipt.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bot_messages_are_signed_and_held_to_the_bots_limit_so_all_arrive()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        for (var i = 0; i < 12; i++)
        {
            await connector.DoAsync("send-text", new { to = new { bot = "ops" }, text = $"n{i}" }, $"b{i}");
        }

        Assert.Equal(12, _emulator.State.Messages.Count(m => m.Via == "bot"));
        Assert.Equal(0, _emulator.RateLimitedAnswers);
        Assert.Equal("n0", _emulator.State.Messages[0].Text);
    }

    [Fact]
    public async Task The_platforms_rate_limit_code_is_rate_limited_not_failed()
    {
        await using var lowered = new FeishuEmulator(new EmulatorOptions { RateLimitScale = 0.2 });
        await lowered.StartAsync(TestContext.Current.CancellationToken);
        await using var connector = Feishu.ForEmulator(lowered);
        await connector.DoAsync("send-text", new { to = new { bot = "ops" }, text = "first" }, "r1");
        var error = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { bot = "ops" }, text = "second" }, "r2"));
        Assert.Equal(FailureKind.RateLimited, error.Kind);
        Assert.Contains("11232", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_users_bots_and_cards_to_bots_are_rejected_with_the_reason()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        var unknown = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { user = "ou_nobody" }, text = "x" }));
        Assert.Equal(FailureKind.Rejected, unknown.Kind);
        Assert.Contains("230013", unknown.Message, StringComparison.Ordinal);
        var noEmail = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { email = "ghost@example.com" }, text = "x" }));
        Assert.Equal(FailureKind.Rejected, noEmail.Kind);
        var noBot = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { bot = "sales" }, text = "x" }));
        Assert.Contains("ops", noBot.Message, StringComparison.Ordinal);
        var card = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-card", new { to = new { bot = "ops" }, card = new { id = "1", title = "t" } }));
        Assert.Equal(FailureKind.Rejected, card.Kind);
        Assert.Empty(_emulator.State.Messages);
    }

    [Fact]
    public async Task A_wrong_bot_secret_is_unauthorized()
    {
        var settings = string.Join("\n", _emulator.Connection().Settings.Where(s => s.Key != "bots").Select(s => $"{s.Key}: {s.Value}"))
            + $"\nbots: {{ ops: {{ webhook: \"{_emulator.BaseUrl}/open-apis/bot/v2/hook/{FeishuEmulator.BotToken}\", secret: wrong }} }}";
        await using var connector = Feishu.Connect(settings);
        var error = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { bot = "ops" }, text = "x" }));
        Assert.Equal(FailureKind.Unauthorized, error.Kind);
        Assert.Contains("19021", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_app_secret_is_unauthorized()
    {
        var settings = string.Join("\n", _emulator.Connection().Settings.Select(s => s.Key == "appSecret" ? "appSecret: wrong" : $"{s.Key}: {s.Value}"));
        await using var connector = Feishu.Connect(settings);
        var error = await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DoAsync("send-text", new { to = new { user = "ou_li" }, text = "x" }));
        Assert.Equal(FailureKind.Unauthorized, error.Kind);
    }

    [Fact]
    public async Task The_emulators_callbacks_pass_the_connectors_checks()
    {
        await using var connector = Feishu.ForEmulator(_emulator);
        await connector.DoAsync("send-card", new { to = new { user = "ou_li" }, card = new { id = "AP-7", title = "Purchase" } });
        var request = _emulator.CallbackRequest(FeishuEnvelope("card.action.trigger", _emulator.State.Messages[0].Id));
        var body = await request.Content!.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var inbound = await connector.ReceiveAsync(new InboundRequest("POST", "/hooks/feishu", new Dictionary<string, string>(), headers, body, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal("AP-7", Assert.Single(inbound.Events).Data().GetProperty("cardId").GetString());
    }

    private static System.Text.Json.Nodes.JsonObject FeishuEnvelope(string type, string messageId) => Feishu.V2(type, new System.Text.Json.Nodes.JsonObject
    {
        ["operator"] = new System.Text.Json.Nodes.JsonObject { ["open_id"] = "ou_li" },
        ["token"] = "c-1",
        ["action"] = new System.Text.Json.Nodes.JsonObject { ["value"] = new System.Text.Json.Nodes.JsonObject { ["cardId"] = "AP-7", ["action"] = "approve" }, ["tag"] = "button" },
        ["context"] = new System.Text.Json.Nodes.JsonObject { ["open_message_id"] = messageId },
    }, token: FeishuEmulator.VerificationToken);
}
