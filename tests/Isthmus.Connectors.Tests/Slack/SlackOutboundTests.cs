using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors.Slack;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulation;
using Isthmus.Emulators.Slack;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Slack;

/// <summary>The connector's Web API and webhook calls, against the Slack emulator on 127.0.0.1.</summary>
public sealed class SlackOutboundTests : IAsyncLifetime
{
    private readonly SlackEmulator _slack = new(new EmulatorOptions());
    private readonly InMemoryIdentityDirectory _identities = new();
    private IOutboundConnector _connector = null!;

    public async ValueTask InitializeAsync()
    {
        await _slack.StartAsync(TestContext.Current.CancellationToken);
        _slack.State.AddUser(new EmulatedUser("U100", "Li Wei", Email: "li.wei@example.com"));
        _slack.State.AddUser(new EmulatedUser("U200", "Ana Silva", Email: "ana@example.com"));
        _connector = Connect();
    }

    public async ValueTask DisposeAsync()
    {
        await _connector.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private IOutboundConnector Connect(string token = SlackEmulator.BotToken, string extra = "")
    {
        var c = _slack.Connection().Settings;
        var yaml = $"""
            botToken: {token}
            signingSecret: {c["signingSecret"]}
            apiBaseUrl: {c["apiBaseUrl"]}
            bots: {c["bots"]}
            {extra}
            """;
        var errors = new List<ConfigError>();
        var settings = new ConnectionSettings("slack", "slack", SettingsYaml.Parse(yaml), errors);
        var connector = new SlackConnectorFactory().Create(settings, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance) { Identities = _identities });
        Assert.Empty(errors);
        return (IOutboundConnector)connector!;
    }

    private Task<DeliveryReceipt> DoAsync(string action, object payload, IOutboundConnector? connector = null) =>
        (connector ?? _connector).DeliverAsync(new Delivery(1, "slack", action, JsonSerializer.SerializeToUtf8Bytes(payload), "k1", 1, null), TestContext.Current.CancellationToken).AsTask();

    private async Task<ConnectorException> FailAsync(string action, object payload, IOutboundConnector? connector = null) =>
        await Assert.ThrowsAsync<ConnectorException>(() => DoAsync(action, payload, connector));

    private static readonly object Card = new
    {
        id = "AP-1", title = "Expense claim", text = "Team dinner", askComment = true,
        fields = new Dictionary<string, object> { ["Amount"] = 120.5, ["Requester"] = "Ana" },
    };

    [Fact]
    public async Task Send_text_by_email_looks_the_user_up_once_and_writes_to_their_direct_channel()
    {
        await DoAsync("send-text", new { to = new { email = "li.wei@example.com" }, text = "Hello <there> & welcome" });
        _slack.State.Users.TryRemove("U100", out var removed);
        _slack.State.AddUser(removed! with { Email = "changed@example.com" });
        var receipt = await DoAsync("send-text", new { to = new { email = "li.wei@example.com" }, text = "again" });

        var sent = _slack.State.Messages;
        Assert.Equal(["DU100", "DU100"], sent.Select(m => m.To));
        Assert.Equal(["Hello <there> & welcome", "again"], sent.Select(m => m.Text));
        Assert.Equal("text", sent[0].Kind);
        Assert.False(sent[0].Content["mrkdwn"]!.GetValue<bool>());
        Assert.Equal("U100", await _identities.FindAsync("slack", "email", "li.wei@example.com", TestContext.Current.CancellationToken));
        Assert.Contains("channel=DU100", receipt.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_markdown_to_a_channel_is_a_mrkdwn_section_under_a_header()
    {
        await DoAsync("send-markdown", new { to = new { chat = "C100" }, title = "Weekly", text = "*done*: 3\n• item" });

        var sent = Assert.Single(_slack.State.Messages);
        Assert.Equal(("C100", "markdown"), (sent.To, sent.Kind));
        var blocks = sent.Content["blocks"]!.AsArray();
        Assert.Equal("header", blocks[0]!["type"]!.GetValue<string>());
        Assert.Equal("mrkdwn", blocks[1]!["text"]!["type"]!.GetValue<string>());
        Assert.Equal("*done*: 3\n• item", blocks[1]!["text"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_card_renders_block_kit_with_approve_primary_reject_danger_and_a_comment_box()
    {
        await DoAsync("send-card", new { to = new { user = "U100" }, card = Card });

        var sent = Assert.Single(_slack.State.Messages);
        Assert.Equal(("card", "AP-1", "DU100"), (sent.Kind, sent.CardId, sent.To));
        var blocks = sent.Content["blocks"]!.AsArray();
        Assert.Equal(["header", "section", "section", "input", "actions"], blocks.Select(b => b!["type"]!.GetValue<string>()));
        Assert.Equal("*Amount*\n120.5", blocks[2]!["fields"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("plain_text_input", blocks[3]!["element"]!["type"]!.GetValue<string>());
        var buttons = blocks[4]!["elements"]!.AsArray();
        Assert.Equal(["approve", "reject"], buttons.Select(b => b!["action_id"]!.GetValue<string>()));
        Assert.Equal(["primary", "danger"], buttons.Select(b => b!["style"]!.GetValue<string>()));
        var value = JsonNode.Parse(buttons[0]!["value"]!.GetValue<string>())!;
        Assert.Equal(("AP-1", "approve"), (value["cardId"]!.GetValue<string>(), value["action"]!.GetValue<string>()));
        Assert.Contains("[Approve] [Reject]", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_card_replaces_the_message_in_place_without_buttons()
    {
        await DoAsync("send-card", new { to = new { chat = "C100" }, card = Card });
        var sent = Assert.Single(_slack.State.Messages);

        await DoAsync("update-card", new
        {
            message = new { id = sent.Id, chatId = "C100" },
            card = new { id = "AP-1", title = "Expense claim", status = "Approved by Li Wei at 14:02" },
        });

        var update = Assert.Single(sent.Updates);
        Assert.Contains("Approved by Li Wei at 14:02", sent.CurrentText, StringComparison.Ordinal);
        Assert.DoesNotContain(update["blocks"]!.AsArray(), b => b!["type"]!.GetValue<string>() is "actions" or "input");
        Assert.Single(_slack.State.Messages);
    }

    [Fact]
    public async Task Update_card_needs_the_channel()
    {
        var failure = await FailAsync("update-card", new { message = new { id = "1.2" }, card = new { id = "AP-1", title = "x", status = "done" } });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("chatId", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bot_recipient_posts_to_the_incoming_webhook()
    {
        var receipt = await DoAsync("send-text", new { to = new { bot = SlackEmulator.WebhookName }, text = "deploy done" });

        var sent = Assert.Single(_slack.State.Messages);
        Assert.Equal(("bot", "ops", "deploy done"), (sent.Via, sent.To, sent.Text));
        Assert.Equal(200, receipt.StatusCode);
    }

    [Fact]
    public async Task An_unknown_bot_is_refused_with_the_configured_names()
    {
        var failure = await FailAsync("send-text", new { to = new { bot = "sales" }, text = "x" });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("ops", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_email_is_refused()
    {
        var failure = await FailAsync("send-text", new { to = new { email = "nobody@example.com" }, text = "x" });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("nobody@example.com", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mobile", "+8613800000000")]
    [InlineData("employeeId", "E-42")]
    public async Task Slack_cannot_look_up_by_mobile_or_employee_id(string kind, string value)
    {
        var failure = await FailAsync("send-text", new { to = new Dictionary<string, string> { [kind] = value }, text = "x" });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("email only", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_slack.State.Messages);
    }

    [Fact]
    public async Task A_mobile_mapped_by_hand_is_used()
    {
        await _identities.SaveAsync("slack", "mobile", "+8613800000000", "U200", "manual", TestContext.Current.CancellationToken);

        await DoAsync("send-text", new { to = new { mobile = "+8613800000000" }, text = "x" });

        Assert.Equal("DU200", Assert.Single(_slack.State.Messages).To);
    }

    [Fact]
    public async Task Create_todo_is_refused_and_says_why()
    {
        var failure = await FailAsync("create-todo", new { to = new { user = "U100" }, title = "Review" });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("no todo", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_or_revoked_token_is_unauthorized()
    {
        await using var connector = Connect(token: "xoxb-revoked");

        var failure = await FailAsync("send-text", new { to = new { chat = "C1" }, text = "x" }, connector);

        Assert.Equal(FailureKind.Unauthorized, failure.Kind);
        Assert.Contains("invalid_auth", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_channel_is_rejected()
    {
        var failure = await FailAsync("send-text", new { to = new { chat = "X123" }, text = "x" });

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Contains("channel_not_found", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bot_token_does_not_expire_so_nothing_is_refreshed()
    {
        await DoAsync("send-text", new { to = new { chat = "C1" }, text = "before" });
        using var control = new EmulatorClient(_slack.BaseUrl);
        await control.ExpireTokensAsync(TestContext.Current.CancellationToken);

        await DoAsync("send-text", new { to = new { chat = "C2" }, text = "after" });

        Assert.Equal(["before", "after"], _slack.State.Messages.Select(m => m.Text));
        Assert.Equal(0, _slack.State.TokensIssued);
    }

    [Fact]
    public async Task Sends_to_one_channel_are_queued_to_its_rate_so_none_is_refused()
    {
        var sends = Enumerable.Range(1, 3).Select(i => DoAsync("send-text", new { to = new { chat = "C500" }, text = $"m{i}" })).ToList();
        await Task.WhenAll(sends);

        Assert.Equal(["m1", "m2", "m3"], _slack.State.Messages.Select(m => m.Text).Order());
        Assert.Equal(0, _slack.RateLimited);
    }

    [Fact]
    public async Task Past_the_channel_limit_slack_answers_429_and_the_send_is_rate_limited_with_retry_after()
    {
        await using var unthrottled = Connect(extra: "channelRate: 1000/s");
        await DoAsync("send-text", new { to = new { chat = "C600" }, text = "first" }, unthrottled);

        var failure = await FailAsync("send-text", new { to = new { chat = "C600" }, text = "second" }, unthrottled);

        Assert.Equal(FailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), failure.RetryAfter);
        Assert.Equal(1, _slack.RateLimited);
    }
}
