using System.Text.Json;
using Isthmus.Connectors.Chat;
using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;

namespace Isthmus.Connectors.Tests.AgoraChat;

/// <summary>The connector against the emulator over loopback HTTP.</summary>
public sealed class AgoraChatOutboundTests : IAsyncLifetime
{
    private AgoraChatEmulator _emulator = null!;

    public async ValueTask InitializeAsync() => _emulator = await Agora.StartEmulatorAsync();

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    private static readonly object Card = new
    {
        id = "AP-1",
        title = "Expense claim AP-1",
        text = "Taxi to the airport",
        fields = new { Amount = "¥ 230.00", Requester = "Zhang San" },
        askComment = true,
    };

    private async Task<(Isthmus.Connectors.AgoraChat.AgoraChatConnector Connector, DeliveryReceipt Receipt)> DeliverAsync(string action, object payload, params string[] settings)
    {
        var connector = Agora.Valid(Agora.YamlOf(_emulator, settings));
        return (connector, await connector.DeliverAsync(Agora.Delivery(action, payload), CancellationToken.None));
    }

    [Fact]
    public async Task Send_text_to_a_user_goes_out_as_a_txt_message_from_the_bot()
    {
        var (connector, receipt) = await DeliverAsync(ChatActions.SendText, new { to = new { user = "li.wei" }, text = "Hello" });
        await using var _ = connector;

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("li.wei", "text", "Hello"), (sent.To, sent.Kind, sent.Text));
        Assert.Equal(AgoraChatEmulator.BotUser, sent.Content["from"]!.GetValue<string>());
        Assert.Equal($"msg_id {sent.Id}", receipt.Detail);
    }

    [Fact]
    public async Task Send_markdown_to_a_group_goes_out_as_text_with_the_title_first()
    {
        var (connector, _) = await DeliverAsync(ChatActions.SendMarkdown, new { to = new { chat = "g-42" }, title = "Weekly", text = "- item **one**" });
        await using var __ = connector;

        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("g-42", "text"), (sent.To, sent.Kind));
        Assert.Equal("**Weekly**\n\n- item **one**", sent.Text);
    }

    [Fact]
    public async Task Send_card_then_update_card_rewrites_the_same_message()
    {
        var (connector, _) = await DeliverAsync(ChatActions.SendCard, new { to = new { user = "li.wei" }, card = Card });
        await using var __ = connector;
        var sent = Assert.Single(_emulator.State.Messages);
        Assert.Equal(("card", "AP-1"), (sent.Kind, sent.CardId));
        Assert.Equal("custom", sent.Content["type"]!.GetValue<string>());
        Assert.Equal("approval_card", sent.Content["body"]!["customEvent"]!.GetValue<string>());
        Assert.Equal("approve,reject", sent.Content["body"]!["customExts"]!["actions"]!.GetValue<string>());
        Assert.True(sent.Content["ext"]!["card"]!["askComment"]!.GetValue<bool>());
        Assert.Contains("Amount: ¥ 230.00", sent.Text, StringComparison.Ordinal);

        await connector.DeliverAsync(Agora.Delivery(ChatActions.UpdateCard, new
        {
            message = new { id = sent.Id },
            card = new { id = "AP-1", title = "Expense claim AP-1", status = "Approved by Li Wei at 14:02" },
        }), CancellationToken.None);

        var update = Assert.Single(sent.Updates);
        Assert.Equal("Approved by Li Wei at 14:02", update["new_msg"]!["customExts"]!["status"]!.GetValue<string>());
        Assert.Null(update["new_ext"]!["card"]!["buttons"]);
        Assert.EndsWith("Approved by Li Wei at 14:02", sent.CurrentText, StringComparison.Ordinal);
        Assert.Single(_emulator.State.Messages);
    }

    [Fact]
    public async Task Updating_an_unknown_message_is_rejected()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => DeliverAsync(ChatActions.UpdateCard,
            new { message = new { id = "nope" }, card = new { id = "AP-1", title = "t", status = "done" } }));

        Assert.Equal((FailureKind.Rejected, 404), (ex.Kind, ex.StatusCode));
    }

    [Fact]
    public async Task An_expired_token_is_fetched_anew_and_the_send_still_succeeds()
    {
        await using var connector = Agora.Valid(Agora.YamlOf(_emulator));
        await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { user = "a" }, text = "one" }), CancellationToken.None);
        await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { user = "a" }, text = "two" }), CancellationToken.None);
        Assert.Equal(1, _emulator.State.TokensIssued);

        _emulator.State.ExpireTokens();
        await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { user = "a" }, text = "three" }), CancellationToken.None);

        Assert.Equal(2, _emulator.State.TokensIssued);
        Assert.Equal(2, connector.TokenFetches);
        Assert.Equal(["one", "two", "three"], _emulator.State.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task An_agora_token_is_built_locally_and_exchanged()
    {
        var (connector, _) = await DeliverAsync(ChatActions.SendText, new { to = new { user = "a" }, text = "hi" },
            "clientId:", "clientSecret:", $"appId: {AgoraChatEmulator.AppId}", $"appCertificate: {AgoraChatEmulator.AppCertificate}");
        await using var __ = connector;

        Assert.Equal(1, _emulator.State.TokensIssued);
        Assert.Single(_emulator.State.Messages);
    }

    [Fact]
    public async Task An_agora_token_can_be_used_directly_under_the_app_id_prefix()
    {
        var (connector, _) = await DeliverAsync(ChatActions.SendText, new { to = new { user = "a" }, text = "hi" },
            "clientId:", "clientSecret:", "orgName:", "appName:", $"appId: {AgoraChatEmulator.AppId}",
            $"appCertificate: {AgoraChatEmulator.AppCertificate}", "exchangeToken: false");
        await using var __ = connector;

        Assert.Equal(0, _emulator.State.TokensIssued);
        Assert.Single(_emulator.State.Messages);
    }

    [Fact]
    public async Task Wrong_client_credentials_are_unauthorized()
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => DeliverAsync(ChatActions.SendText,
            new { to = new { user = "a" }, text = "hi" }, "clientSecret: wrong"));

        Assert.Equal(FailureKind.Unauthorized, ex.Kind);
        Assert.Contains("invalid_grant", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_of_another_app_is_unauthorized_without_a_refetch_loop()
    {
        await using var other = Agora.Valid(Agora.YamlOf(_emulator, "clientId:", "clientSecret:", "orgName:", "appName:",
            $"appId: {AgoraChatEmulator.AppId}", "appCertificate: 11111111111111111111111111111111", "exchangeToken: false"));
        var ex = await Assert.ThrowsAsync<ConnectorException>(async () =>
            await other.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { user = "a" }, text = "hi" }), CancellationToken.None));

        Assert.Equal(FailureKind.Unauthorized, ex.Kind);
        Assert.Contains("auth_bad_access_token", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, other.TokenFetches);
    }

    [Fact]
    public async Task A_card_over_5_KB_is_rejected_before_it_is_sent()
    {
        var big = new { id = "AP-2", title = "Big", text = new string('x', 6000) };

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => DeliverAsync(ChatActions.SendCard, new { to = new { user = "a" }, card = big }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("5120 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_emulator.State.Messages);
    }

    [Theory]
    [InlineData("email", "li.wei@example.com")]
    [InlineData("mobile", "13800000000")]
    [InlineData("employeeId", "E-7")]
    public async Task Directory_lookups_are_rejected_plainly(string kind, string value)
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => DeliverAsync(ChatActions.SendText,
            new { to = new Dictionary<string, string> { [kind] = value }, text = "hi" }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains($"no directory to look users up by {kind}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_external_id_is_sent_to_the_user_it_is_mapped_to()
    {
        var identities = new InMemoryIdentityDirectory();
        await identities.SaveAsync("chat", IdentityKinds.External, "oa-17", "li.wei", "manual", CancellationToken.None);
        await using var connector = Agora.Valid(Agora.YamlOf(_emulator), identities: identities);

        await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { external = "oa-17" }, text = "hi" }), CancellationToken.None);

        Assert.Equal("li.wei", Assert.Single(_emulator.State.Messages).To);
    }

    [Theory]
    [InlineData("create-todo", "no todo or task API")]
    [InlineData("send-text", "no group-bot webhooks")]
    public async Task What_the_platform_lacks_is_rejected_plainly(string action, string says)
    {
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => DeliverAsync(action, new { to = new { bot = "ops" }, title = "t", text = "hi" }));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_quota_hit_is_waited_out_and_every_message_arrives()
    {
        await using var emulator = await Agora.StartEmulatorAsync(new EmulatorOptions { RateLimitScale = 0.1 }); // 2 group messages a second
        await using var connector = Agora.Valid(Agora.YamlOf(emulator, "groupRate: 100/s", "rateLimitRetries: 10"));

        await Task.WhenAll(Enumerable.Range(1, 6).Select(i =>
            connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { chat = "g-1" }, text = $"m{i}" }), CancellationToken.None).AsTask()));

        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m6"], emulator.State.Messages.Select(m => m.Text).Order());
    }

    [Fact]
    public async Task Sends_are_queued_to_the_configured_rate_so_the_platform_never_refuses_them()
    {
        await using var emulator = await Agora.StartEmulatorAsync(new EmulatorOptions { RateLimitScale = 0.1 }); // 2 group messages a second
        await using var connector = Agora.Valid(Agora.YamlOf(emulator, "groupRate: 1/s", "rateLimitRetries: 0"));

        await Task.WhenAll(Enumerable.Range(1, 3).Select(i =>
            connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { chat = "g-1" }, text = $"m{i}" }), CancellationToken.None).AsTask()));

        Assert.Equal(3, emulator.State.Messages.Count);
    }

    [Fact]
    public async Task A_quota_hit_without_retries_left_is_rate_limited()
    {
        await using var emulator = await Agora.StartEmulatorAsync(new EmulatorOptions { RateLimitScale = 0.05 }); // 1 group message a second
        await using var connector = Agora.Valid(Agora.YamlOf(emulator, "groupRate: 100/s", "rateLimitRetries: 0"));
        await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { chat = "g-1" }, text = "first" }), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () =>
            await connector.DeliverAsync(Agora.Delivery(ChatActions.SendText, new { to = new { chat = "g-1" }, text = "second" }), CancellationToken.None));

        Assert.Equal(FailureKind.RateLimited, ex.Kind);
        Assert.True(ex.StatusCode is 403 or 429, ex.Message);
    }

    [Fact]
    public async Task A_press_on_a_sent_card_is_posted_to_the_callback_url_signed()
    {
        await using var hook = await CallbackCapture.StartAsync();
        _emulator.CallbackUrl = hook.Url;
        var (connector, _) = await DeliverAsync(ChatActions.SendCard, new { to = new { user = "li.wei" }, card = Card });
        await using var __ = connector;
        var sent = Assert.Single(_emulator.State.Messages);

        await _emulator.PressAsync(new PressRequest(sent.Id, "approve", "li.wei", "fine", Repeat: 2));

        Assert.Equal(2, hook.Bodies.Count);
        Assert.Equal(hook.Bodies[0], hook.Bodies[1]);
        var events = (await connector.ReceiveAsync(Agora.Request(hook.Bodies[0]), CancellationToken.None)).Events;
        var data = Agora.Data(Assert.Single(events));
        Assert.Equal(("approve", "fine", sent.Id), (data.GetProperty("action").GetString(), data.GetProperty("comment").GetString(), data.GetProperty("message").GetProperty("id").GetString()));
    }
}
