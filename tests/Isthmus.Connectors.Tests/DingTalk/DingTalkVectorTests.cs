using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.DingTalk;
using Isthmus.Connectors.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.DingTalk;

/// <summary>Every DingTalk vector in protocols.json, reproduced by the connector's own code.</summary>
public sealed class DingTalkVectorTests
{
    public static TheoryData<string> All() => [.. Vectors.Of("dingtalk")];

    [Fact]
    public void There_are_DingTalk_vectors() => Assert.True(Vectors.Of("dingtalk").Count() >= 4);

    [Theory]
    [MemberData(nameof(All))]
    public async Task Reproduces(string id)
    {
        var v = Vectors.Get(id);
        var inputs = v.GetProperty("inputs");
        if (inputs.TryGetProperty("random16", out _))
        {
            SuccessAck(v);
        }
        else if (inputs.TryGetProperty("encrypt", out _))
        {
            await Decrypts(v);
        }
        else if (inputs.TryGetProperty("app_secret", out _))
        {
            LegacySignature(v);
        }
        else if (inputs.TryGetProperty("secret", out _))
        {
            RobotSign(v);
        }
        else
        {
            Assert.Fail($"vector {id} has a shape these tests do not know");
        }
    }

    private static async Task Decrypts(JsonElement v)
    {
        var inputs = v.GetProperty("inputs");
        var signature = inputs.TryGetProperty("msg_signature", out _) ? v.In("msg_signature") : v.In("signature");
        var timestamp = inputs.TryGetProperty("timestamp", out _) ? v.In("timestamp") : v.In("timeStamp");
        var crypto = new DingTalkCallbackCrypto(v.In("token"), v.In("aes_key"), v.In("owner_key"));

        Assert.True(crypto.Crypt.Verify(signature, timestamp, v.In("nonce"), v.In("encrypt")));
        var plaintext = Encoding.UTF8.GetString(crypto.Crypt.Decrypt(v.In("encrypt")));
        Assert.Equal(v.Out("plaintext"), plaintext);

        // The connection decodes the same push: a URL check, answered with an encrypted "success" for the owner key.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture)));
        var yaml = $"""
            appKey: someAppKey
            appSecret: someSecret
            token: {v.In("token")}
            aesKey: {v.In("aes_key")}
            ownerKey: {v.In("owner_key")}

            """;
        await using var connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(), yaml, time);
        var body = inputs.TryGetProperty("post_body", out _) ? v.In("post_body") : JsonSerializer.Serialize(new { encrypt = v.In("encrypt") });
        var request = DingTalkRequests.Push(body, signature, timestamp, v.In("nonce"));
        var inbound = await connector.ReceiveAsync(request, TestContext.Current.CancellationToken);
        if (JsonDocument.Parse(plaintext).RootElement.GetProperty("EventType").GetString()!.StartsWith("check_", StringComparison.Ordinal))
        {
            Assert.Empty(inbound.Events);
        }

        var ack = JsonNode.Parse(inbound.Reply!.Body.Span)!;
        Assert.Equal(timestamp, (string?)ack["timeStamp"]);
        Assert.True(crypto.Crypt.Verify((string)ack["msg_signature"]!, (string)ack["timeStamp"]!, (string)ack["nonce"]!, (string)ack["encrypt"]!));
        Assert.Equal("success", Encoding.UTF8.GetString(crypto.Crypt.Decrypt((string)ack["encrypt"]!)));
    }

    private static void SuccessAck(JsonElement v)
    {
        var crypto = new DingTalkCallbackCrypto(v.In("token"), v.In("aes_key"), v.In("owner_key"));

        var ack = crypto.Seal(v.In("plaintext"), v.In("timeStamp"), v.In("nonce"), Encoding.ASCII.GetBytes(v.In("random16")));

        Assert.Equal(v.Out("encrypt"), ack.Encrypt);
        Assert.Equal(v.Out("msg_signature"), ack.MsgSignature);
        var reply = Isthmus.Connectors.Chat.InboundChecks.JsonReply(crypto.Success(v.In("timeStamp"), v.In("nonce"), Encoding.ASCII.GetBytes(v.In("random16"))));
        Assert.Equal(JsonNode.Parse(v.Out("response_json"))!.ToJsonString(), Encoding.UTF8.GetString(reply.Body.Span));
    }

    private static void RobotSign(JsonElement v)
    {
        Assert.Equal(v.Out("sign_base64"), DingTalkSignatures.RobotSign(v.In("secret"), v.In("timestamp_ms")));
        Assert.Equal(v.Out("sign_urlencoded"), DingTalkSignatures.RobotSignUrlEncoded(v.In("secret"), v.In("timestamp_ms")));
        if (v.GetProperty("expected").TryGetProperty("url", out _))
        {
            Assert.Contains("sign=" + v.Out("sign_urlencoded"), v.Out("url"), StringComparison.Ordinal);
        }
    }

    private static void LegacySignature(JsonElement v)
    {
        Assert.Equal(v.Out("signature_base64"), DingTalkSignatures.LegacyApiSignature(v.In("app_secret"), v.In("timestamp_ms")));
        Assert.Equal(v.Out("signature_urlencoded"), DingTalkSignatures.LegacyApiSignatureUrlEncoded(v.In("app_secret"), v.In("timestamp_ms")));
    }
}
