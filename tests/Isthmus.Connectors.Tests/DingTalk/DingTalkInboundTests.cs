using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;
using Isthmus.Connectors.DingTalk;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulators.DingTalk;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.DingTalk;

public sealed class DingTalkInboundTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_123);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly DingTalkConnector _connector;

    public DingTalkInboundTests() =>
        _connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(), DingTalkRequests.Yaml, _time);

    private async Task<Inbound> ReceiveAsync(InboundRequest request) => await _connector.ReceiveAsync(request, TestContext.Current.CancellationToken);

    private async Task<InboundRejectedException> RejectAsync(InboundRequest request) =>
        await Assert.ThrowsAsync<InboundRejectedException>(async () => await _connector.ReceiveAsync(request, TestContext.Current.CancellationToken));

    private static T Data<T>(EventDraft e) => JsonSerializer.Deserialize<T>(e.Data.Span, ChatEvents.Json)!;

    [Fact]
    public async Task Answers_the_url_check_with_an_encrypted_success_and_stores_nothing()
    {
        var inbound = await ReceiveAsync(DingTalkRequests.Sealed(new { EventType = "check_url" }, Now));

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
        var ack = JsonNode.Parse(inbound.Reply.Body.Span)!;
        Assert.Equal(DingTalkSignatures.Milliseconds(Now), (string?)ack["timeStamp"]);
        Assert.True(DingTalkRequests.Crypto.Crypt.Verify((string)ack["msg_signature"]!, (string)ack["timeStamp"]!, (string)ack["nonce"]!, (string)ack["encrypt"]!));
        Assert.Equal("success", Encoding.UTF8.GetString(DingTalkRequests.Crypto.Crypt.Decrypt((string)ack["encrypt"]!)));
    }

    [Fact]
    public async Task Accepts_the_older_signature_and_timeStamp_names()
    {
        var timestamp = DingTalkSignatures.Milliseconds(Now);
        var sealedMessage = DingTalkRequests.Crypto.Seal("{\"EventType\":\"check_url\"}", timestamp, "abc");
        var request = DingTalkRequests.Push(JsonSerializer.Serialize(new { encrypt = sealedMessage.Encrypt }), sealedMessage.MsgSignature, timestamp, "abc", "signature", "timeStamp");

        Assert.Empty((await ReceiveAsync(request)).Events);
    }

    [Theory]
    [InlineData("finish", "agree", "approved")]
    [InlineData("finish", "refuse", "rejected")]
    [InlineData("terminate", null, "canceled")]
    [InlineData("start", null, "pending")]
    public async Task Maps_an_approval_instance_change(string type, string? result, string status)
    {
        var inbound = await ReceiveAsync(DingTalkRequests.Sealed(new
        {
            EventType = "bpms_instance_change", processInstanceId = "pi-1", processCode = "PROC-1", corpId = "corp", title = "Leave",
            staffId = "staff002", createTime = 1_750_000_000_000L, finishTime = 1_750_000_100_000L, type, result,
        }, Now));

        var e = Assert.Single(inbound.Events);
        Assert.Equal(ChatEventTypes.ApprovalChanged, e.Type);
        Assert.Equal("pi-1", e.Key);
        var data = Data<ApprovalChanged>(e);
        Assert.Equal(status, data.Status);
        Assert.Equal("pi-1", data.InstanceId);
        Assert.Equal("Leave", data.Title);
        Assert.Equal("staff002", data.Requester!.Id);
        Assert.Equal(result is null ? type : $"{type}:{result}", data.PlatformStatus);
    }

    [Fact]
    public async Task Keeps_a_task_change_under_its_own_type_with_a_stable_id()
    {
        var payload = new { EventType = "bpms_task_change", processInstanceId = "pi-1", taskId = 77, staffId = "manager001", type = "finish", result = "agree" };

        var first = Assert.Single((await ReceiveAsync(DingTalkRequests.Sealed(payload, Now))).Events);
        var again = Assert.Single((await ReceiveAsync(DingTalkRequests.Sealed(payload, Now))).Events);

        Assert.Equal("bpms_task_change", first.Type);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal("agree", JsonDocument.Parse(first.Data).RootElement.GetProperty("raw").GetProperty("result").GetString());
    }

    [Fact]
    public async Task Reads_a_card_callback_from_the_encrypted_channel()
    {
        var callback = new
        {
            outTrackId = "REQ-7", corpId = "corp", userId = "manager001", userIdType = 1, spaceType = "IM_ROBOT", spaceId = "manager001",
            type = "actionCallback", extension = "{}",
            content = JsonSerializer.Serialize(new { cardPrivateData = new { actionIds = new[] { "reject" }, @params = new { action = "reject", cardId = "REQ-7", comment = "Too expensive" } } }),
        };

        var e = Assert.Single((await ReceiveAsync(DingTalkRequests.Sealed(callback, Now))).Events);
        var again = Assert.Single((await ReceiveAsync(DingTalkRequests.Sealed(callback, Now))).Events);

        Assert.Equal(ChatEventTypes.CardAction, e.Type);
        Assert.Equal(e.Id, again.Id);
        var data = Data<CardAction>(e);
        Assert.Equal("reject", data.Action);
        Assert.Equal("REQ-7", data.CardId);
        Assert.Equal("REQ-7", data.Message.Id);
        Assert.Equal("manager001", data.User.Id);
        Assert.Equal("Too expensive", data.Comment);
        Assert.Equal("direct", data.Chat!.Type);
    }

    [Fact]
    public async Task Reads_a_robot_message_with_mentions_and_no_important_mark()
    {
        var message = new JsonObject
        {
            ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = " urgent: server down" }, ["msgId"] = "msgA1",
            ["createAt"] = 1_750_000_000_000L, ["conversationType"] = "2", ["conversationId"] = "cidG1", ["conversationTitle"] = "Ops",
            ["senderId"] = "$:LWCP_v1:$x", ["senderNick"] = "Zhang San", ["senderStaffId"] = "staff002", ["chatbotUserId"] = "$:bot",
            ["atUsers"] = new JsonArray(new JsonObject { ["dingtalkId"] = "$:bot" }, new JsonObject { ["dingtalkId"] = "$:m", ["staffId"] = "manager001" }),
        };

        var inbound = await ReceiveAsync(DingTalkRequests.Robot(message, Now));

        var e = Assert.Single(inbound.Events);
        Assert.Equal("msgA1", e.Id);
        Assert.Equal("cidG1", e.Key);
        var data = Data<MessageReceived>(e);
        Assert.Equal(" urgent: server down", data.Text);
        Assert.Equal(new ChatUser("staff002", "Zhang San"), data.Sender);
        Assert.Equal(new ChatRef("cidG1", "group", "Ops"), data.Chat);
        Assert.Equal(["manager001"], data.Mentions);
        Assert.False(data.Important);
        Assert.Equal(200, inbound.Reply!.StatusCode);
    }

    [Fact]
    public async Task Refuses_a_wrong_signature()
    {
        var request = DingTalkRequests.Sealed(new { EventType = "check_url" }, Now);
        request = request with { Query = new Dictionary<string, string>(request.Query) { ["msg_signature"] = new string('0', 40) } };

        var ex = await RejectAsync(request);

        Assert.Equal(401, ex.StatusCode);
        Assert.Contains("msg_signature does not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_push_encrypted_with_another_key()
    {
        var other = new DingTalkCallbackCrypto(DingTalkEmulator.CallbackToken, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", DingTalkEmulator.AppKey);

        var ex = await RejectAsync(DingTalkRequests.Sealed(new { EventType = "check_url" }, Now, other));

        Assert.Equal("unauthorized", ex.ReasonCode);
        Assert.Contains("does not decrypt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_push_for_another_owner_key()
    {
        var other = new DingTalkCallbackCrypto(DingTalkEmulator.CallbackToken, DingTalkEmulator.AesKey, "another-app");

        var ex = await RejectAsync(DingTalkRequests.Sealed(new { EventType = "check_url" }, Now, other));

        Assert.Contains("not for 'dingemulatorappkey'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_tampered_ciphertext_even_when_re_signed()
    {
        var timestamp = DingTalkSignatures.Milliseconds(Now);
        var bytes = Convert.FromBase64String(DingTalkRequests.Crypto.Seal("{\"EventType\":\"check_url\"}", timestamp, "n").Encrypt);
        bytes[^1] ^= 0x5A;
        var tampered = Convert.ToBase64String(bytes);

        var ex = await RejectAsync(DingTalkRequests.Push(JsonSerializer.Serialize(new { encrypt = tampered }),
            DingTalkRequests.Crypto.Sign(timestamp, "n", tampered), timestamp, "n"));

        Assert.Equal(401, ex.StatusCode);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    public async Task Refuses_a_stale_timestamp(int hours)
    {
        var ex = await RejectAsync(DingTalkRequests.Sealed(new { EventType = "check_url" }, Now.AddHours(hours)));

        Assert.Equal("stale_timestamp", ex.ReasonCode);
        Assert.Equal(401, ex.StatusCode);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"encrypted\":\"x\"}")]
    [InlineData("[]")]
    public async Task Refuses_a_malformed_body(string body)
    {
        var ex = await RejectAsync(DingTalkRequests.Push(body, new string('0', 40), DingTalkSignatures.Milliseconds(Now), "n"));

        Assert.Equal(400, ex.StatusCode);
    }

    [Fact]
    public async Task Refuses_a_plaintext_that_is_not_an_event()
    {
        var ex = await RejectAsync(DingTalkRequests.Sealed(new { hello = "world" }, Now));

        Assert.Equal("malformed", ex.ReasonCode);
    }

    [Fact]
    public async Task Refuses_a_robot_message_with_a_wrong_or_stale_sign()
    {
        var message = new JsonObject { ["msgId"] = "m", ["conversationId"] = "c", ["senderStaffId"] = "s" };

        var wrong = await RejectAsync(DingTalkRequests.Robot(message, Now, secret: "another-secret"));
        var stale = await RejectAsync(DingTalkRequests.Robot(message, Now.AddHours(-3)));
        var unsigned = await RejectAsync(new InboundRequest("POST", "/hooks/oa", new Dictionary<string, string>(), new Dictionary<string, string>(), "{}"u8.ToArray(), "application/json"));

        Assert.Equal("unauthorized", wrong.ReasonCode);
        Assert.Equal("stale_timestamp", stale.ReasonCode);
        Assert.Equal("unauthorized", unsigned.ReasonCode);
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();
}
