using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Feishu;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Feishu;

public sealed class FeishuInboundTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    private static JsonObject TextMessage(string text = "@_user_1 please approve") => new()
    {
        ["sender"] = new JsonObject { ["sender_id"] = new JsonObject { ["open_id"] = "ou_wang" }, ["sender_type"] = "user" },
        ["message"] = new JsonObject
        {
            ["message_id"] = "om_1",
            ["chat_id"] = "oc_team",
            ["chat_type"] = "group",
            ["message_type"] = "text",
            ["content"] = new JsonObject { ["text"] = text }.ToJsonString(),
            ["mentions"] = new JsonArray(new JsonObject { ["key"] = "@_user_1", ["id"] = new JsonObject { ["open_id"] = "ou_bot" }, ["name"] = "Isthmus" }),
            ["create_time"] = "1700000000123",
        },
    };

    [Fact]
    public async Task Url_verification_without_encryption_echoes_the_challenge()
    {
        var inbound = await Feishu.Plain().ReceiveAsync(Feishu.Request(Encoding.UTF8.GetBytes(
            $$"""{"challenge":"ajls384kdjx98XX","token":"{{Feishu.Token}}","type":"url_verification"}""")));
        Assert.Empty(inbound.Events);
        Assert.Equal("""{"challenge":"ajls384kdjx98XX"}""", Encoding.UTF8.GetString(inbound.Reply!.Body.Span));
    }

    [Fact]
    public async Task Url_verification_with_a_wrong_token_is_refused()
    {
        var error = await Feishu.Plain().RejectAsync(Feishu.Request(Encoding.UTF8.GetBytes(
            """{"challenge":"c","token":"other","type":"url_verification"}""")));
        Assert.Equal(InboundRejection.Unauthorized, error.Reason);
    }

    [Fact]
    public async Task Encrypted_url_verification_comes_unsigned_and_is_answered()
    {
        var plain = new JsonObject { ["challenge"] = "c-1", ["token"] = Feishu.Token, ["type"] = "url_verification" };
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["encrypt"] = FeishuCrypto.Encrypt(Feishu.Key, Encoding.UTF8.GetBytes(plain.ToJsonString())) }.ToJsonString());
        var inbound = await Feishu.Encrypted(_time).ReceiveAsync(Feishu.Request(body));
        Assert.Equal("""{"challenge":"c-1"}""", Encoding.UTF8.GetString(inbound.Reply!.Body.Span));
    }

    [Fact]
    public async Task A_message_becomes_message_received_with_mentions_and_no_urgent_mark()
    {
        var inbound = await Feishu.Encrypted(_time).ReceiveAsync(Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow()));
        var e = Assert.Single(inbound.Events);
        Assert.Equal("message.received", e.Type);
        Assert.Equal("ev-1", e.Id);
        Assert.Equal("oc_team", e.Key);
        var d = e.Data();
        Assert.Equal("feishu", d.GetProperty("platform").GetString());
        Assert.Equal("om_1", d.GetProperty("messageId").GetString());
        Assert.Equal("@Isthmus please approve", d.GetProperty("text").GetString());
        Assert.Equal("ou_wang", d.GetProperty("sender").GetProperty("id").GetString());
        Assert.Equal("group", d.GetProperty("chat").GetProperty("type").GetString());
        Assert.Equal("ou_bot", d.GetProperty("mentions")[0].GetString());
        Assert.False(d.GetProperty("important").GetBoolean());
        Assert.Equal(200, inbound.Reply!.StatusCode);
    }

    [Fact]
    public async Task A_card_button_becomes_card_action_and_is_answered_with_a_toast()
    {
        var ev = new JsonObject
        {
            ["operator"] = new JsonObject { ["open_id"] = "ou_li" },
            ["token"] = "c-123",
            ["action"] = new JsonObject
            {
                ["value"] = new JsonObject { ["cardId"] = "AP-1", ["action"] = "reject" },
                ["tag"] = "button",
                ["name"] = "reject",
                ["form_value"] = new JsonObject { ["comment"] = "too expensive" },
            },
            ["context"] = new JsonObject { ["open_message_id"] = "om_card", ["open_chat_id"] = "oc_p2p" },
        };
        var inbound = await Feishu.Encrypted(_time).ReceiveAsync(Feishu.Signed(Feishu.V2("card.action.trigger", ev, "ev-card"), _time.GetUtcNow()));
        var e = Assert.Single(inbound.Events);
        Assert.Equal("card.action", e.Type);
        Assert.Equal("AP-1", e.Key);
        var d = e.Data();
        Assert.Equal("reject", d.GetProperty("action").GetString());
        Assert.Equal("AP-1", d.GetProperty("cardId").GetString());
        Assert.Equal("too expensive", d.GetProperty("comment").GetString());
        Assert.Equal("ou_li", d.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("om_card", d.GetProperty("message").GetProperty("id").GetString());
        Assert.Equal("c-123", d.GetProperty("message").GetProperty("token").GetString());
        var reply = JsonNode.Parse(inbound.Reply!.Body.Span)!;
        Assert.Equal("success", reply["toast"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("1700000000000")]
    [InlineData("\"1700000000000\"")]
    public async Task An_approval_instance_event_becomes_approval_changed_whatever_the_type_of_operate_time(string operateTime)
    {
        var body = $$$"""
            {"uuid":"u-1","ts":"1700000000.1","token":"{{{Feishu.Token}}}","type":"event_callback",
             "event":{"app_id":"cli_test","tenant_key":"t","type":"approval_instance","approval_code":"LEAVE",
                      "instance_code":"INST-9","status":"APPROVED","operate_time":{{{operateTime}}}}}
            """;
        var e = Assert.Single((await Feishu.Plain().ReceiveAsync(Feishu.Request(Encoding.UTF8.GetBytes(body)))).Events);
        Assert.Equal("approval.changed", e.Type);
        Assert.Equal("u-1", e.Id);
        Assert.Equal("INST-9", e.Key);
        var d = e.Data();
        Assert.Equal("approved", d.GetProperty("status").GetString());
        Assert.Equal("APPROVED", d.GetProperty("platformStatus").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000), d.GetProperty("time").GetDateTimeOffset());
    }

    [Fact]
    public async Task Other_events_keep_their_fields_and_contact_events_are_contact_changed()
    {
        var ev = new JsonObject { ["object"] = new JsonObject { ["open_id"] = "ou_new", ["name"] = "Zhang" } };
        var e = Assert.Single((await Feishu.Plain().ReceiveAsync(Feishu.Request(Encoding.UTF8.GetBytes(Feishu.V2("contact.user.created_v3", ev).ToJsonString())))).Events);
        Assert.Equal("contact.changed", e.Type);
        Assert.Equal("ou_new", e.Key);
        Assert.Equal("contact.user.created_v3", e.Data().GetProperty("eventType").GetString());
    }

    [Fact]
    public async Task A_legacy_card_callback_is_checked_with_sha1_and_the_verification_token()
    {
        var body = Encoding.UTF8.GetBytes("""{"open_id":"ou_li","open_message_id":"om_x","tenant_key":"t","token":"c-x","action":{"value":{"cardId":"AP-2","action":"approve"},"tag":"button"}}""");
        var ts = _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sig = FeishuCrypto.LegacyCardSignature(ts, "n", Feishu.Token, body);
        var connector = Feishu.Plain(_time);
        var e = Assert.Single((await connector.ReceiveAsync(Feishu.Request(body, ("X-Lark-Request-Timestamp", ts), ("X-Lark-Request-Nonce", "n"), ("X-Lark-Signature", sig)))).Events);
        Assert.Equal("card.action", e.Type);
        Assert.Equal("approve", e.Data().GetProperty("action").GetString());

        var error = await connector.RejectAsync(Feishu.Request(body, ("X-Lark-Request-Timestamp", ts), ("X-Lark-Request-Nonce", "n"),
            ("X-Lark-Signature", FeishuCrypto.EventSignature(ts, "n", Feishu.Token, body))));
        Assert.Equal(InboundRejection.Unauthorized, error.Reason);
    }

    [Fact]
    public async Task A_redelivered_event_has_the_same_id()
    {
        var connector = Feishu.Encrypted(_time);
        var first = await connector.ReceiveAsync(Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage(), "ev-same"), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(5));
        var again = await connector.ReceiveAsync(Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage(), "ev-same"), _time.GetUtcNow()));
        Assert.Equal(first.Events[0].EffectiveDedupKey, again.Events[0].EffectiveDedupKey);
    }

    // Rejections: nothing is decoded, each with its own reason.

    [Fact]
    public async Task Bad_signature_is_refused()
    {
        var request = Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow(), signKey: "another key");
        var error = await Feishu.Encrypted(_time).RejectAsync(request);
        Assert.Equal(InboundRejection.Unauthorized, error.Reason);
        Assert.Contains("X-Lark-Signature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_encrypted_with_a_wrong_key_is_refused()
    {
        // Signed correctly for the connection's key, but encrypted with another one.
        var request = Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow(), key: "wrong key", signKey: Feishu.Key);
        var error = await Feishu.Encrypted(_time).RejectAsync(request);
        Assert.Equal(InboundRejection.Unauthorized, error.Reason);
        Assert.Contains("cannot be decrypted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_ciphertext_is_refused()
    {
        var signed = Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow());
        var body = JsonNode.Parse(signed.Body.Span)!;
        var cipher = Convert.FromBase64String(body["encrypt"]!.GetValue<string>());
        cipher[^1] ^= 0x55;
        var tampered = Encoding.UTF8.GetBytes(new JsonObject { ["encrypt"] = Convert.ToBase64String(cipher) }.ToJsonString());
        var connector = Feishu.Encrypted(_time);
        var kept = await connector.RejectAsync(signed with { Body = tampered });
        Assert.Contains("does not match", kept.Message, StringComparison.Ordinal);
        // Even re-signed (by someone holding the key), a ciphertext that does not unpad is refused.
        var resigned = await connector.RejectAsync(Feishu.SignedRaw(tampered, _time.GetUtcNow()));
        Assert.Equal(InboundRejection.Unauthorized, resigned.Reason);
    }

    [Fact]
    public async Task Stale_timestamp_is_refused()
    {
        var request = Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow() - TimeSpan.FromMinutes(6));
        var error = await Feishu.Encrypted(_time).RejectAsync(request);
        Assert.Equal(InboundRejection.StaleTimestamp, error.Reason);
        Assert.Equal("stale_timestamp", error.ReasonCode);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"hello":"world"}""")]
    public async Task Malformed_body_is_refused(string body)
    {
        var error = await Feishu.Plain().RejectAsync(Feishu.Request(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(InboundRejection.Malformed, error.Reason);
    }

    [Fact]
    public async Task An_event_without_signature_or_in_clear_is_refused_when_an_encrypt_key_is_set()
    {
        var connector = Feishu.Encrypted(_time);
        var signed = Feishu.Signed(Feishu.V2("im.message.receive_v1", TextMessage()), _time.GetUtcNow());
        var unsigned = await connector.RejectAsync(Feishu.Request(signed.Body.ToArray()));
        Assert.Contains("missing", unsigned.Message, StringComparison.Ordinal);
        var clear = await connector.RejectAsync(Feishu.Request(Encoding.UTF8.GetBytes(Feishu.V2("im.message.receive_v1", TextMessage()).ToJsonString())));
        Assert.Equal(InboundRejection.Unauthorized, clear.Reason);
    }

    [Fact]
    public async Task A_wrong_verification_token_in_an_event_is_refused()
    {
        var error = await Feishu.Plain().RejectAsync(Feishu.Request(Encoding.UTF8.GetBytes(Feishu.V2("im.message.receive_v1", TextMessage(), token: "nope").ToJsonString())));
        Assert.Equal(InboundRejection.Unauthorized, error.Reason);
    }
}
