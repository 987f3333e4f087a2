using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Slack;
using Isthmus.Emulators.Slack;
using static Isthmus.Connectors.Tests.Slack.SlackHooks;

namespace Isthmus.Connectors.Tests.Slack;

public sealed class SlackInboundTests
{
    [Fact]
    public async Task Url_verification_echoes_the_challenge()
    {
        var (connector, _) = Connect();
        var inbound = await connector.ReceiveAsync(Signed("""{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"""));

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
        Assert.StartsWith("application/json", inbound.Reply.ContentType, StringComparison.Ordinal);
        Assert.Equal("""{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}""", Encoding.UTF8.GetString(inbound.Reply.Body.Span));
    }

    [Fact]
    public async Task Url_verification_must_be_signed_too()
    {
        var (connector, _) = Connect();
        var request = Signed("""{"challenge":"c","type":"url_verification"}""", secret: "wrong");

        Assert.Equal(InboundRejection.Unauthorized, (await connector.RejectAsync(request)).Reason);
    }

    [Fact]
    public async Task Ssl_check_gets_an_empty_200_and_no_event()
    {
        var (connector, _) = Connect();
        var inbound = await connector.ReceiveAsync(Request(Encoding.UTF8.GetBytes("ssl_check=1&token=abc"), "application/x-www-form-urlencoded"));

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
        Assert.Equal(0, inbound.Reply.Body.Length);
    }

    [Fact]
    public async Task A_direct_message_becomes_message_received_with_mentions_and_no_importance()
    {
        var (connector, _) = Connect();
        var body = EventCallback("Ev1", new
        {
            type = "message", user = "U111", text = "urgent: see <@U222> and <@W333|li.wei>", ts = "1700000000.000100",
            channel = "D999", channel_type = "im", client_msg_id = "c1",
        });

        var inbound = await connector.ReceiveAsync(Signed(body));

        var draft = Assert.Single(inbound.Events);
        var data = Data(draft);
        Assert.Equal(("Ev1", "message.received", "D999"), (draft.Id, draft.Type, draft.Key));
        Assert.Equal("message:D999:1700000000.000100", draft.EffectiveDedupKey);
        Assert.Equal("slack", data.GetProperty("platform").GetString());
        Assert.Equal("1700000000.000100", data.GetProperty("messageId").GetString());
        Assert.Equal("U111", data.GetProperty("sender").GetProperty("id").GetString());
        Assert.Equal("direct", data.GetProperty("chat").GetProperty("type").GetString());
        Assert.Equal(["U222", "W333"], data.GetProperty("mentions").EnumerateArray().Select(m => m.GetString()));
        Assert.False(data.GetProperty("important").GetBoolean());
        Assert.Equal("c1", data.GetProperty("raw").GetProperty("client_msg_id").GetString());
        Assert.Equal(0, inbound.Reply!.Body.Length);
    }

    [Fact]
    public async Task A_mention_in_a_channel_arrives_as_message_and_app_mention_with_one_dedup_key()
    {
        var (connector, _) = Connect();
        var message = EventCallback("Ev1", new { type = "message", user = "U1", text = "<@U0BOT> hi", ts = "1.2", channel = "C1", channel_type = "channel" });
        var mention = EventCallback("Ev2", new { type = "app_mention", user = "U1", text = "<@U0BOT> hi", ts = "1.2", channel = "C1" });

        var first = Assert.Single((await connector.ReceiveAsync(Signed(message))).Events);
        var second = Assert.Single((await connector.ReceiveAsync(Signed(mention))).Events);

        Assert.Equal(first.EffectiveDedupKey, second.EffectiveDedupKey);
        Assert.Equal("group", Data(second).GetProperty("chat").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_retry_carries_the_same_event_id()
    {
        var (connector, _) = Connect();
        var body = EventCallback("Ev9", new { type = "message", user = "U1", text = "hi", ts = "1.2", channel = "C1", channel_type = "channel" });

        var first = Assert.Single((await connector.ReceiveAsync(Signed(body))).Events);
        var retry = Assert.Single((await connector.ReceiveAsync(Signed(body, extra: [("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "http_timeout")]))).Events);

        Assert.Equal(first.Id, retry.Id);
        Assert.Equal(first.EffectiveDedupKey, retry.EffectiveDedupKey);
    }

    [Theory]
    [InlineData("""{"type":"message","subtype":"message_changed","channel":"C1","ts":"1.2"}""")]
    [InlineData("""{"type":"message","subtype":"bot_message","bot_id":"B1","channel":"C1","ts":"1.2","text":"x"}""")]
    [InlineData("""{"type":"message","bot_id":"B1","user":"U0BOT","channel":"C1","ts":"1.2","text":"from our own bot"}""")]
    public async Task Edits_and_bot_messages_are_acknowledged_without_an_event(string ev)
    {
        var (connector, _) = Connect();
        var body = $$"""{"type":"event_callback","event_id":"Ev1","event":{{ev}}}""";

        var inbound = await connector.ReceiveAsync(Signed(body));

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
    }

    [Fact]
    public async Task A_pinned_message_is_received_again_as_important_with_its_own_dedup_key()
    {
        var (connector, _) = Connect();
        var message = EventCallback("Ev1", new { type = "message", user = "U1", text = "decided: ship on Friday", ts = "1.2", channel = "C1", channel_type = "channel" });
        var pin = EventCallback("Ev2", new
        {
            type = "pin_added", user = "U5", channel_id = "C1", item_user = "U1", event_ts = "1.9",
            item = new { type = "message", channel = "C1", created_by = "U5", message = new { type = "message", user = "U1", text = "decided: ship on Friday <@U2>", ts = "1.2" } },
        });

        var posted = Assert.Single((await connector.ReceiveAsync(Signed(message))).Events);
        var pinned = Assert.Single((await connector.ReceiveAsync(Signed(pin))).Events);

        var data = Data(pinned);
        Assert.Equal(("Ev2", "message.received", "C1"), (pinned.Id, pinned.Type, pinned.Key));
        Assert.NotEqual(posted.EffectiveDedupKey, pinned.EffectiveDedupKey);
        Assert.True(data.GetProperty("important").GetBoolean());
        Assert.False(Data(posted).GetProperty("important").GetBoolean());
        Assert.Equal(("1.2", "U1", "group"), (data.GetProperty("messageId").GetString(), data.GetProperty("sender").GetProperty("id").GetString(),
            data.GetProperty("chat").GetProperty("type").GetString()));
        Assert.Equal("decided: ship on Friday <@U2>", data.GetProperty("text").GetString());
        Assert.Equal(["U2"], data.GetProperty("mentions").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task A_pinned_file_keeps_the_pin_event_type()
    {
        var (connector, _) = Connect();
        var pin = EventCallback("Ev3", new { type = "pin_added", user = "U5", channel_id = "C1", item = new { type = "F", file = new { id = "F1" } } });

        var draft = Assert.Single((await connector.ReceiveAsync(Signed(pin))).Events);

        Assert.Equal("pin_added", draft.Type);
    }

    [Fact]
    public async Task Other_events_keep_their_own_type_and_user_changes_are_contact_changed()
    {
        var (connector, _) = Connect();

        var reaction = Assert.Single((await connector.ReceiveAsync(Signed(EventCallback("Ev1", new { type = "reaction_added", user = "U1", reaction = "thumbsup" })))).Events);
        var change = Assert.Single((await connector.ReceiveAsync(Signed(EventCallback("Ev2", new { type = "user_change", user = new { id = "U7" } })))).Events);

        Assert.Equal("reaction_added", reaction.Type);
        Assert.Equal(("contact.changed", "U7"), (change.Type, change.Key));
    }

    [Fact]
    public async Task A_button_press_becomes_card_action_with_the_card_id_and_the_comment()
    {
        var (connector, _) = Connect();
        var payload = JsonSerializer.Serialize(new
        {
            type = "block_actions",
            user = new { id = "U1", username = "li.wei", name = "li.wei", team_id = "T1" },
            container = new { type = "message", message_ts = "1700000000.000200", channel_id = "D1" },
            trigger_id = "123.456.abc",
            channel = new { id = "D1", name = "directmessage" },
            state = new { values = new { isthmus_comment = new { comment = new { type = "plain_text_input", value = "too expensive" } } } },
            actions = new[] { new { action_id = "reject", block_id = "isthmus_actions", value = """{"cardId":"AP-7","action":"reject"}""", type = "button", action_ts = "1700000001.000001" } },
        });

        var inbound = await connector.ReceiveAsync(Signed(SlackEmulator.InteractionBody(payload), "application/x-www-form-urlencoded"));

        var draft = Assert.Single(inbound.Events);
        var data = Data(draft);
        Assert.Equal(("123.456.abc", "card.action", "AP-7"), (draft.Id, draft.Type, draft.Key));
        Assert.Equal("reject", data.GetProperty("action").GetString());
        Assert.Equal("AP-7", data.GetProperty("cardId").GetString());
        Assert.Equal("AP-7", data.GetProperty("value").GetProperty("cardId").GetString());
        Assert.Equal("too expensive", data.GetProperty("comment").GetString());
        Assert.Equal("1700000000.000200", data.GetProperty("message").GetProperty("id").GetString());
        Assert.Equal("D1", data.GetProperty("message").GetProperty("chatId").GetString());
        Assert.Equal(("U1", "li.wei"), (data.GetProperty("user").GetProperty("id").GetString(), data.GetProperty("user").GetProperty("name").GetString()));
        Assert.Equal("direct", data.GetProperty("chat").GetProperty("type").GetString());
        Assert.Equal(0, inbound.Reply!.Body.Length);
    }

    [Fact]
    public async Task A_bad_signature_is_refused()
    {
        var (connector, _) = Connect();
        var request = Signed(EventCallback("Ev1", new { type = "message" }));
        request.Headers.TryGetValue(SlackSignature.SignatureHeader, out var signature);
        var tampered = request with
        {
            Headers = new Dictionary<string, string>((IDictionary<string, string>)request.Headers, StringComparer.OrdinalIgnoreCase)
            {
                [SlackSignature.SignatureHeader] = signature![..^1] + (signature[^1] == '0' ? '1' : '0'),
            },
        };

        var rejected = await connector.RejectAsync(tampered);

        Assert.Equal((InboundRejection.Unauthorized, 401), (rejected.Reason, rejected.StatusCode));
        Assert.Contains("signingSecret", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_signed_with_another_secret_is_refused()
    {
        var (connector, _) = Connect();

        Assert.Equal(InboundRejection.Unauthorized, (await connector.RejectAsync(Signed(EventCallback("Ev1", new { type = "message" }), secret: "not-the-secret"))).Reason);
    }

    [Fact]
    public async Task A_changed_body_is_refused()
    {
        var (connector, _) = Connect();
        var request = Signed(EventCallback("Ev1", new { type = "message", text = "pay 10" }));
        var changed = request with { Body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(request.Body.Span).Replace("pay 10", "pay 99", StringComparison.Ordinal)) };

        Assert.Equal(InboundRejection.Unauthorized, (await connector.RejectAsync(changed)).Reason);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task A_timestamp_more_than_five_minutes_away_is_stale(int seconds)
    {
        var (connector, _) = Connect();

        var rejected = await connector.RejectAsync(Signed(EventCallback("Ev1", new { type = "message" }), at: Now.AddSeconds(seconds)));

        Assert.Equal(("stale_timestamp", 401), (rejected.ReasonCode, rejected.StatusCode));
    }

    [Fact]
    public async Task A_timestamp_within_five_minutes_is_accepted()
    {
        var (connector, time) = Connect();
        var request = Signed(EventCallback("Ev1", new { type = "reaction_added" }));
        time.Advance(TimeSpan.FromSeconds(300));

        Assert.Single((await connector.ReceiveAsync(request)).Events);
    }

    [Theory]
    [InlineData(SlackSignature.TimestampHeader)]
    [InlineData(SlackSignature.SignatureHeader)]
    public async Task A_missing_header_is_refused(string header)
    {
        var (connector, _) = Connect();
        var request = Signed(EventCallback("Ev1", new { type = "message" }));
        var headers = new Dictionary<string, string>((IDictionary<string, string>)request.Headers, StringComparer.OrdinalIgnoreCase);
        headers.Remove(header);

        var rejected = await connector.RejectAsync(request with { Headers = headers });

        Assert.Equal(InboundRejection.Unauthorized, rejected.Reason);
        Assert.Contains(header, rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timestamp_that_is_not_seconds_is_refused()
    {
        var (connector, _) = Connect();
        var body = Encoding.UTF8.GetBytes("{}");

        var rejected = await connector.RejectAsync(Request(body, "application/json",
            (SlackSignature.TimestampHeader, "yesterday"), (SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, "yesterday", body))));

        Assert.Equal(InboundRejection.Unauthorized, rejected.Reason);
    }

    [Theory]
    [InlineData("{not json", "application/json")]
    [InlineData("""{"event_id":"Ev1"}""", "application/json")]
    [InlineData("""{"type":"event_callback","event":{"type":"message"}}""", "application/json")]
    [InlineData("""{"type":"event_callback","event_id":"Ev1"}""", "application/json")]
    [InlineData("""{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"U1","ts":"1.2"}}""", "application/json")]
    [InlineData("token=abc&team_id=T1", "application/x-www-form-urlencoded")]
    [InlineData("payload=%7Bnot%20json", "application/x-www-form-urlencoded")]
    [InlineData("payload=%7B%22type%22%3A%22block_actions%22%7D", "application/x-www-form-urlencoded")]
    public async Task A_malformed_body_is_refused_with_400(string body, string contentType)
    {
        var (connector, _) = Connect();

        var rejected = await connector.RejectAsync(Signed(body, contentType));

        Assert.Equal((InboundRejection.Malformed, 400), (rejected.Reason, rejected.StatusCode));
    }

    [Fact]
    public async Task Another_media_type_is_refused_before_the_signature()
    {
        var (connector, _) = Connect();

        var rejected = await connector.RejectAsync(Request(Encoding.UTF8.GetBytes("<xml/>"), "application/xml"));

        Assert.Equal(InboundRejection.UnsupportedMediaType, rejected.Reason);
    }
}
