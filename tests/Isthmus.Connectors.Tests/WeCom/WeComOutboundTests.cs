using System.Text;
using System.Text.Json;
using Isthmus.Configuration;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Connectors.WeCom;
using Isthmus.Emulation;
using Isthmus.Emulators.WeCom;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.WeCom;

/// <summary>The connector's sends against the WeCom emulator on 127.0.0.1.</summary>
public sealed class WeComOutboundTests : IAsyncLifetime
{
    private readonly InMemoryIdentityDirectory _identities = new();
    private WeComEmulator _emulator = null!;
    private WeComConnector? _connector;
    private long _deliveries;

    public async ValueTask InitializeAsync() => await StartAsync(new EmulatorOptions());

    private async Task StartAsync(EmulatorOptions options)
    {
        _emulator = new WeComEmulator(options);
        await _emulator.StartAsync();
        _emulator.State.AddUser(new EmulatedUser("li.wei", "Li Wei", "li.wei@example.com", "13800000001"));
        _emulator.State.AddUser(new EmulatedUser("zhang.san", "Zhang San", "zhang.san@example.com", "13800000002"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_connector is not null)
        {
            await _connector.DisposeAsync();
        }

        await _emulator.DisposeAsync();
    }

    private WeComConnector Connector(string extra = "", string secret = WeComEmulator.Secret)
    {
        var yaml = WeComHooks.Yaml(WeComEmulator.CorpId, WeComEmulator.Token, WeComEmulator.EncodingAesKey, _emulator.BaseUrl,
            $"bots: {{ {WeComEmulator.BotName}: {WeComEmulator.BotKey} }}\n{extra}").Replace(WeComEmulator.Secret, secret, StringComparison.Ordinal);
        var errors = new List<ConfigError>();
        var settings = new ConnectionSettings("oa", "wecom", SettingsYaml.Parse(yaml), errors);
        var context = new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance) { Identities = _identities };
        _connector = (WeComConnector?)new WeComConnectorFactory().Create(settings, context);
        Assert.Empty(errors);
        return _connector!;
    }

    private Task<DeliveryReceipt> Deliver(WeComConnector connector, string action, object payload) =>
        connector.DeliverAsync(new Delivery(Interlocked.Increment(ref _deliveries), "oa", action, JsonSerializer.SerializeToUtf8Bytes(payload),
            $"oa:e{_deliveries}:step:{action}", 1, null), CancellationToken.None).AsTask();

    private static object Card(string? status = null, string? url = null) => new
    {
        id = "AP-1001",
        title = "Expense AP-1001",
        text = "Taxi to the airport",
        fields = new Dictionary<string, object> { ["Amount"] = 320.5, ["Requester"] = "Zhang San" },
        status,
        url,
    };

    [Fact]
    public async Task SendText_ByEmail_LooksTheUserUpOnce_AndRemembersThem()
    {
        var connector = Connector();

        await Deliver(connector, "send-text", new { to = new { email = "li.wei@example.com" }, text = "hello" });
        await Deliver(connector, "send-text", new { to = new { mobile = "13800000002" }, text = "hi" });

        Assert.Equal(["li.wei", "zhang.san"], _emulator.State.Messages.Select(m => m.To));
        Assert.Equal("hello", _emulator.State.Messages[0].Text);
        Assert.Equal("li.wei", await _identities.FindAsync("oa", "email", "li.wei@example.com", CancellationToken.None));
        Assert.Equal("zhang.san", await _identities.FindAsync("oa", "mobile", "13800000002", CancellationToken.None));
    }

    [Fact]
    public async Task SendText_ToAnUnknownEmail_IsRejectedByName()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(Connector(), "send-text", new { to = new { email = "nobody@example.com" }, text = "x" }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("no user of 'oa' has email 'nobody@example.com'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendText_ToAnUnknownUserId_IsRejectedWithWeComsCode()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(Connector(), "send-text", new { to = new { user = "ghost" }, text = "x" }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("errcode 81013", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmployeeId_IsTheWeComUserId()
    {
        await Deliver(Connector(), "send-markdown", new { to = new { employeeId = "li.wei" }, title = "Note", text = "**bold**" });

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("li.wei", "markdown"), (sent.To, sent.Kind));
        Assert.Equal("**Note**\n**bold**", sent.Text);
    }

    [Fact]
    public async Task SendMarkdown_ToABot_PostsToItsWebhook_AndAnUnknownBotIsNamed()
    {
        var connector = Connector();

        await Deliver(connector, "send-markdown", new { to = new { bot = "ops" }, text = "<font color=\"warning\">disk</font>" });
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(connector, "send-text", new { to = new { bot = "sales" }, text = "x" }));

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("bot", "ops", "markdown"), (sent.Via, sent.To, sent.Kind));
        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("bots are: ops", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendCard_IsAButtonCard_AndUpdateCard_ShowsTheStatusInPlace_Once()
    {
        var connector = Connector();

        var receipt = await Deliver(connector, "send-card", new { to = new { email = "li.wei@example.com" }, card = Card() });

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("card", "AP-1001"), (sent.Kind, sent.CardId));
        var template = sent.Content["template_card"]!;
        Assert.Equal("button_interaction", template["card_type"]!.GetValue<string>());
        Assert.Equal(["approve", "reject"], template["button_list"]!.AsArray().Select(b => b!["key"]!.GetValue<string>()));
        Assert.Contains("Amount: 320.5", sent.Text, StringComparison.Ordinal);
        var code = receipt.Detail!.Split("response_code ")[1];

        var message = new { id = template["task_id"]!.GetValue<string>(), token = code };
        await Deliver(connector, "update-card", new { message, card = Card("Approved by Li Wei at 14:02") });

        Assert.Contains("[Approved by Li Wei at 14:02]", sent.CurrentText, StringComparison.Ordinal);
        Assert.DoesNotContain("[Approve]", sent.CurrentText, StringComparison.Ordinal);
        Assert.Single(sent.Updates);

        // A response code is good for one update only.
        var again = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(connector, "update-card", new { message, card = Card("Rejected") }));
        Assert.Equal(FailureKind.Rejected, again.Kind);
    }

    [Fact]
    public async Task UpdateCard_OfACardWithALink_ReplacesTheWholeCard()
    {
        var connector = Connector();
        var receipt = await Deliver(connector, "send-card", new { to = new { user = "li.wei" }, card = Card(url: "https://oa.example.com/AP-1001") });
        var code = receipt.Detail!.Split("response_code ")[1];

        await Deliver(connector, "update-card", new { message = new { id = "x", token = code }, card = Card("Rejected by Li Wei", "https://oa.example.com/AP-1001") });

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal("text_notice", sent.Updates[0]["template_card"]!["card_type"]!.GetValue<string>());
        Assert.StartsWith("Expense AP-1001\nRejected by Li Wei", sent.CurrentText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateCard_WithoutTheResponseCode_SaysWhatIsMissing()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(Connector(), "update-card", new { message = new { id = "t" }, card = Card("Done") }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("message.token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendCard_ToABot_AndCreateTodo_AreRefusedPlainly()
    {
        var connector = Connector();

        var card = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(connector, "send-card", new { to = new { bot = "ops" }, card = Card() }));
        var todo = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(connector, "create-todo", new { to = new { user = "li.wei" }, title = "Sign" }));

        Assert.Equal((FailureKind.Rejected, FailureKind.Rejected), (card.Kind, todo.Kind));
        Assert.Contains("group bots cannot send cards", card.Message, StringComparison.Ordinal);
        Assert.Contains("WeCom has no todo API", todo.Message, StringComparison.Ordinal);
        Assert.Empty(_emulator.State.Messages);
    }

    [Fact]
    public async Task ExpiredToken_IsFetchedAnew_AndTheSendStillSucceeds()
    {
        var connector = Connector();
        await Deliver(connector, "send-text", new { to = new { user = "li.wei" }, text = "one" });

        _emulator.State.ExpireTokens();
        await Deliver(connector, "send-text", new { to = new { user = "li.wei" }, text = "two" });

        Assert.Equal(["one", "two"], _emulator.State.Messages.Select(m => m.Text));
        Assert.Equal(2, _emulator.State.TokensIssued);
        Assert.Equal(2, connector.TokenFetches);
    }

    [Fact]
    public async Task WrongSecret_IsUnauthorized()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(Connector(secret: "wrong"), "send-text", new { to = new { user = "li.wei" }, text = "x" }));

        Assert.Equal(FailureKind.Unauthorized, ex.Kind);
        Assert.Contains("errcode 40001", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BotLimit_IsQueued_SoEveryMessageArrives()
    {
        await _emulator.DisposeAsync();
        // The emulator allows 3 a second here (20 × 0.15); the connector holds sends to 3 every 2 seconds.
        await StartAsync(new EmulatorOptions { RateLimitScale = 0.15 });
        _emulator.RateWindow = TimeSpan.FromSeconds(1);
        var connector = Connector("botRateLimit: 3/2s");

        await Task.WhenAll(Enumerable.Range(1, 7).Select(i => Deliver(connector, "send-text", new { to = new { bot = "ops" }, text = $"m{i}" })));

        Assert.Equal(7, _emulator.State.Messages.Count);
        Assert.Equal(0, _emulator.RateLimited);
    }

    [Fact]
    public async Task PlatformRateLimit_IsRateLimited_WithAMinutesWait()
    {
        await _emulator.DisposeAsync();
        await StartAsync(new EmulatorOptions { RateLimitScale = 0.1 });
        var connector = Connector("botRateLimit: 100/1s");
        await Deliver(connector, "send-text", new { to = new { bot = "ops" }, text = "1" });
        await Deliver(connector, "send-text", new { to = new { bot = "ops" }, text = "2" });

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => Deliver(connector, "send-text", new { to = new { bot = "ops" }, text = "3" }));

        Assert.Equal(FailureKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(60), ex.RetryAfter);
        Assert.Contains("errcode 45009", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_ReportEveryMistake_WithItsLocation()
    {
        var (connector, errors) = Connections.Create<WeComConnector>(new WeComConnectorFactory(), """
            corpId: ww1
            agentId: abc
            token: t
            encodingAesKey: short
            baseUrl: ftp://x
            botRateLimit: lots
            colour: blue
            """);

        Assert.Null(connector);
        var messages = string.Join("\n", errors.Select(e => e.ToString()));
        Assert.Contains("'secret' is required", messages, StringComparison.Ordinal);
        Assert.Contains("agentId 'abc' must be the app's AgentId", messages, StringComparison.Ordinal);
        Assert.Contains("encodingAesKey must be the 43-character", messages, StringComparison.Ordinal);
        Assert.Contains("baseUrl 'ftp://x'", messages, StringComparison.Ordinal);
        Assert.Contains("botRateLimit", messages, StringComparison.Ordinal);
        Assert.Contains("unknown setting 'colour'", messages, StringComparison.Ordinal);
        Assert.Contains(errors, e => e.ToString().Contains("isthmus.yaml:4:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Emulator_ChecksTheCallbackUrl_AsWeComDoes()
    {
        // The emulator's own GET check against a connector reached through a tiny loopback relay is covered end to end;
        // here its echostr must open with the connector's keys.
        var sealer = _emulator.Sealer;
        var echo = sealer.Encrypt("12345");
        await using var connector = WeComHooks.Emulated(WeComHooks.At("1700000000"));
        var inbound = await connector.ReceiveAsync(WeComHooks.Get(sealer.Sign("1700000000", "1", echo), "1700000000", "1", echo), CancellationToken.None);
        Assert.Equal("12345", Encoding.UTF8.GetString(inbound.Reply!.Body.Span));
    }
}
