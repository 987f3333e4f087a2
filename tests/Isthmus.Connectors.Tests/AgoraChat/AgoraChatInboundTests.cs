using System.Text;
using System.Text.Json;
using Isthmus.Connectors.AgoraChat;
using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.AgoraChat;

public sealed class AgoraChatInboundTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly AgoraChatConnector _connector;

    public AgoraChatInboundTests() => _connector = Agora.Valid(Agora.Yaml, _time);

    private long Ms => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private Task<Inbound> ReceiveAsync(byte[] body) => _connector.ReceiveAsync(Agora.Request(body), CancellationToken.None).AsTask();

    private async Task<InboundRejectedException> RejectedAsync(byte[] body) =>
        await Assert.ThrowsAsync<InboundRejectedException>(() => ReceiveAsync(body));

    [Fact]
    public async Task A_text_message_to_the_bot_becomes_message_received_with_a_tiny_200_reply()
    {
        var inbound = await ReceiveAsync(Agora.Callback(Ms, "1001", "li.wei", "bot", Agora.Text("please approve", new { em_at_list = new[] { "bot" } })));

        var draft = Assert.Single(inbound.Events);
        Assert.Equal(("1001", "message.received", "li.wei"), (draft.Id, draft.Type, draft.Key));
        Assert.Equal(Now, draft.Time);
        var data = Agora.Data(draft);
        Assert.Equal("agora-chat", data.GetProperty("platform").GetString());
        Assert.Equal("please approve", data.GetProperty("text").GetString());
        Assert.Equal("li.wei", data.GetProperty("sender").GetProperty("id").GetString());
        Assert.Equal("direct", data.GetProperty("chat").GetProperty("type").GetString());
        Assert.Equal(["bot"], data.GetProperty("mentions").EnumerateArray().Select(m => m.GetString()));
        Assert.False(data.GetProperty("important").GetBoolean());
        Assert.Equal(200, inbound.Reply!.StatusCode);
        Assert.Equal("ok", Encoding.UTF8.GetString(inbound.Reply.Body.Span));
    }

    [Fact]
    public async Task A_group_message_is_keyed_by_the_group()
    {
        var inbound = await ReceiveAsync(Agora.Callback(Ms, "1002", "li.wei", "g-42", Agora.Text("hi"), chatType: "groupchat", groupId: "g-42"));

        var data = Agora.Data(Assert.Single(inbound.Events));
        Assert.Equal("g-42", data.GetProperty("chat").GetProperty("id").GetString());
        Assert.Equal("group", data.GetProperty("chat").GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_client_apps_approval_action_becomes_card_action()
    {
        var payload = new
        {
            ext = new { cardId = "AP-7", action = "reject", comment = "over budget", messageId = "11000001" },
            bodies = new[] { new { type = "custom", customEvent = "approval_action" } },
        };

        var inbound = await ReceiveAsync(Agora.Callback(Ms, "1003", "li.wei", "bot", payload));

        var draft = Assert.Single(inbound.Events);
        Assert.Equal(("1003", "card.action", "AP-7"), (draft.Id, draft.Type, draft.Key));
        var data = Agora.Data(draft);
        Assert.Equal("reject", data.GetProperty("action").GetString());
        Assert.Equal("AP-7", data.GetProperty("cardId").GetString());
        Assert.Equal("over budget", data.GetProperty("comment").GetString());
        Assert.Equal("11000001", data.GetProperty("message").GetProperty("id").GetString());
        Assert.Equal("li.wei", data.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("reject", data.GetProperty("value").GetProperty("action").GetString());
    }

    [Fact]
    public async Task The_emulators_press_decodes_to_the_pressed_card()
    {
        await using var emulator = new AgoraChatEmulator(new EmulatorOptions { Time = _time }, Agora.Secret);
        var body = emulator.MessageCallback("li.wei", null, "custom",
            new() { ["type"] = "custom", ["customEvent"] = "approval_action", ["v2:customExts"] = new System.Text.Json.Nodes.JsonObject { ["cardId"] = "AP-8", ["action"] = "approve", ["messageId"] = "11000009" } },
            new());
        var connector = Agora.Valid(Agora.Yaml.Replace("botUser: bot", "botUser: " + AgoraChatEmulator.BotUser, StringComparison.Ordinal), _time);

        var inbound = await connector.ReceiveAsync(Agora.Request(body), CancellationToken.None);

        var data = Agora.Data(Assert.Single(inbound.Events));
        Assert.Equal(("approve", "AP-8", "11000009"), (data.GetProperty("action").GetString(), data.GetProperty("cardId").GetString(), data.GetProperty("message").GetProperty("id").GetString()));
    }

    [Fact]
    public async Task An_approval_action_without_its_card_id_is_refused_as_malformed()
    {
        var payload = new { ext = new { action = "approve", messageId = "1" }, bodies = new[] { new { type = "custom", customEvent = "approval_action" } } };

        var rejected = await RejectedAsync(Agora.Callback(Ms, "1004", "li.wei", "bot", payload));

        Assert.Equal(InboundRejection.Malformed, rejected.Reason);
        Assert.Contains("ext.cardId", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bots_own_messages_are_acknowledged_without_events()
    {
        var inbound = await ReceiveAsync(Agora.Callback(Ms, "1005", "bot", "li.wei", Agora.Text("card sent")));

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
    }

    [Fact]
    public async Task An_offline_copy_is_its_own_event_deduplicated_per_recipient()
    {
        var a = await ReceiveAsync(Agora.Callback(Ms, "1006", "li.wei", "zhang.san", Agora.Text("hi"), eventType: "chat_offline"));
        var b = await ReceiveAsync(Agora.Callback(Ms, "1006", "li.wei", "wang.wu", Agora.Text("hi"), eventType: "chat_offline"));

        Assert.Equal("message.offline", a.Events[0].Type);
        Assert.Equal("chat_offline:1006:zhang.san", a.Events[0].EffectiveDedupKey);
        Assert.Equal("chat_offline:1006:wang.wu", b.Events[0].EffectiveDedupKey);
        Assert.False(Agora.Data(a.Events[0]).TryGetProperty("security", out _));
    }

    [Fact]
    public async Task Group_operations_and_presence_arrive_under_their_own_types()
    {
        var group = Signed(new() { ["callId"] = "org#app_g1", ["timestamp"] = Ms, ["appkey"] = "org#app", ["id"] = "g-42", ["type"] = "GROUP", ["event"] = "group_op_event", ["operation"] = "JOIN", ["operator"] = "li.wei" });
        var presence = Signed(new() { ["callId"] = "org#app_p1", ["timestamp"] = Ms, ["appkey"] = "org#app", ["reason"] = "login", ["status"] = "online", ["user"] = "org#app_li_wei@easemob.com/android_1" });

        var g = Assert.Single((await ReceiveAsync(group)).Events);
        var p = Assert.Single((await ReceiveAsync(presence)).Events);

        Assert.Equal(("org#app_g1", "group.changed", "g-42"), (g.Id, g.Type, g.Key));
        Assert.Equal(("user.presence", "li_wei"), (p.Type, p.Key));
        Assert.Equal("online", Agora.Data(p).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_callback_kind_is_acknowledged_and_ignored()
    {
        var inbound = await ReceiveAsync(Signed(new() { ["callId"] = "org#app_x", ["timestamp"] = Ms, ["something"] = "new" }));

        Assert.Empty(inbound.Events);
    }

    [Fact]
    public async Task A_wrong_security_is_refused()
    {
        var body = Encoding.UTF8.GetString(Agora.Callback(Ms, "1007", "li.wei", "bot", Agora.Text("hi")));
        var security = JsonDocument.Parse(body).RootElement.GetProperty("security").GetString()!;
        var tampered = body.Replace(security, security[..^1] + (security[^1] == '0' ? '1' : '0'), StringComparison.Ordinal);

        var rejected = await RejectedAsync(Encoding.UTF8.GetBytes(tampered));

        Assert.Equal((InboundRejection.Unauthorized, 401), (rejected.Reason, rejected.StatusCode));
        Assert.Contains("callbackSecret", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_signed_with_another_secret_is_refused()
    {
        var rejected = await RejectedAsync(Agora.Callback(Ms, "1008", "li.wei", "bot", Agora.Text("hi"), secret: "another-rule-secret"));

        Assert.Equal(InboundRejection.Unauthorized, rejected.Reason);
    }

    [Fact]
    public async Task A_timestamp_changed_after_signing_is_refused()
    {
        var body = Encoding.UTF8.GetString(Agora.Callback(Ms, "1009", "li.wei", "bot", Agora.Text("hi")));

        var rejected = await RejectedAsync(Encoding.UTF8.GetBytes(body.Replace($"\"timestamp\":{Ms}", $"\"timestamp\":{Ms + 1}", StringComparison.Ordinal)));

        Assert.Equal(InboundRejection.Unauthorized, rejected.Reason);
    }

    [Fact]
    public async Task A_stale_callback_is_refused_even_when_correctly_signed()
    {
        var old = Ms - (long)TimeSpan.FromMinutes(6).TotalMilliseconds;

        var rejected = await RejectedAsync(Agora.Callback(old, "1010", "li.wei", "bot", Agora.Text("hi")));

        Assert.Equal(("stale_timestamp", 401), (rejected.ReasonCode, rejected.StatusCode));
    }

    [Fact]
    public async Task A_callback_within_the_window_is_accepted()
    {
        var recent = Ms - (long)TimeSpan.FromMinutes(4).TotalMilliseconds;

        Assert.Single((await ReceiveAsync(Agora.Callback(recent, "1011", "li.wei", "bot", Agora.Text("hi")))).Events);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("{\"timestamp\":1,\"security\":\"x\"}", "callId")]
    [InlineData("{\"callId\":\"a\",\"security\":\"x\"}", "timestamp")]
    [InlineData("{\"callId\":\"a\",\"timestamp\":\"soon\",\"security\":\"x\"}", "milliseconds")]
    public async Task A_malformed_body_is_refused_with_a_precise_reason(string body, string says)
    {
        var rejected = await RejectedAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal((InboundRejection.Malformed, 400), (rejected.Reason, rejected.StatusCode));
        Assert.Contains(says, rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_without_security_is_unauthorized()
    {
        var rejected = await RejectedAsync(Encoding.UTF8.GetBytes($"{{\"callId\":\"a\",\"timestamp\":{Ms}}}"));

        Assert.Equal(InboundRejection.Unauthorized, rejected.Reason);
    }

    [Fact]
    public async Task A_signed_message_without_a_payload_is_malformed()
    {
        var rejected = await RejectedAsync(Signed(new() { ["callId"] = "c", ["timestamp"] = Ms, ["eventType"] = "chat", ["msg_id"] = "1", ["from"] = "a", ["to"] = "bot" }));

        Assert.Equal(InboundRejection.Malformed, rejected.Reason);
    }

    private static byte[] Signed(Dictionary<string, object> body)
    {
        body["security"] = CallbackSecurity.Sign((string)body["callId"], Agora.Secret, ((long)body["timestamp"]).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }
}
