using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Isthmus.Connectors.Chat;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulators.WeCom;

namespace Isthmus.Connectors.Tests.WeCom;

/// <summary>Every <c>wecom-*</c> vector reproduced through the connector's <c>ReceiveAsync</c> and the emulator's sealer.</summary>
public sealed class WeComVectorTests
{
    public static TheoryData<string> All() => new(Vectors.Of("wecom"));

    [Theory]
    [MemberData(nameof(All))]
    public async Task Vector_IsReproduced(string id)
    {
        Func<JsonElement, Task> check = id switch
        {
            "wecom-verify-url-official" => VerifyUrlOfficial,
            "wecom-decrypt-xml-official" => DecryptXmlOfficial,
            "wecom-decrypt-xml-utf8" => DecryptXmlUtf8,
            "wecom-decrypt-json-envelope" => DecryptJsonEnvelope,
            "wecom-wechatpy-encrypt-reply" => EncryptReply,
            "wecom-signature-only-skit" => SignatureOnly,
            _ => _ => throw new Xunit.Sdk.XunitException($"No check reproduces vector '{id}'; add one."),
        };
        await check(Vectors.Get(id));
    }

    private static async Task VerifyUrlOfficial(JsonElement v)
    {
        await using var connector = WeComHooks.Connector(v.In("receive_id"), v.In("token"), v.In("encoding_aes_key"), WeComHooks.At(v.In("timestamp")));
        // The host hands connectors the query URL-decoded, as ASP.NET does with echostr_url_encoded.
        var request = WeComHooks.Get(v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), Uri.UnescapeDataString(v.In("echostr_url_encoded")));

        var inbound = await connector.ReceiveAsync(request, CancellationToken.None);

        Assert.Empty(inbound.Events);
        Assert.Equal(200, inbound.Reply!.StatusCode);
        Assert.StartsWith("text/plain", inbound.Reply.ContentType, StringComparison.Ordinal);
        Assert.Equal(v.Out("response_body"), Encoding.UTF8.GetString(inbound.Reply.Body.Span));

        // The emulator's sealer, given the vector's random prefix, produces the vector's echostr byte for byte.
        var sealer = new WeComCallbackSealer(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));
        Assert.Equal(v.In("echostr"), sealer.Encrypt(v.Out("response_body"), Encoding.ASCII.GetBytes(v.Out("random_prefix"))));
        Assert.Equal(v.In("msg_signature"), sealer.Sign(v.In("timestamp"), v.In("nonce"), v.In("echostr")));
        Assert.EndsWith("&echostr=" + v.In("echostr_url_encoded"),
            WeComCallbackSealer.Url("http://127.0.0.1/hooks/oa", v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), v.In("echostr")), StringComparison.Ordinal);
    }

    private static async Task DecryptXmlOfficial(JsonElement v)
    {
        await using var connector = WeComHooks.Connector(v.In("receive_id"), v.In("token"), v.In("encoding_aes_key"), WeComHooks.At(v.In("timestamp")));

        var inbound = await connector.ReceiveAsync(WeComHooks.Post(v.In("post_body"), v.In("msg_signature"), v.In("timestamp"), v.In("nonce")), CancellationToken.None);

        Assert.Equal(0, inbound.Reply!.Body.Length);
        Assert.Equal(200, inbound.Reply.StatusCode);
        var draft = Assert.Single(inbound.Events);
        Assert.Equal(ChatEventTypes.MessageReceived, draft.Type);
        Assert.Equal("4561255354251345929", draft.Id);
        var data = WeComHooks.Data(draft);
        Assert.Equal("hello", data.GetProperty("text").GetString());
        Assert.Equal("mycreate", data.GetProperty("sender").GetProperty("id").GetString());
        Assert.Equal("direct", data.GetProperty("chat").GetProperty("type").GetString());
        Assert.False(data.GetProperty("important").GetBoolean());
        Assert.Equal("wecom", data.GetProperty("platform").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1409659813), draft.Time);

        var expected = XElement.Parse(v.Out("plaintext"));
        Assert.Equal(expected.Element("Content")!.Value, data.GetProperty("raw").GetProperty("Content").GetString());
    }

    private static async Task DecryptXmlUtf8(JsonElement v)
    {
        await using var connector = WeComHooks.Connector(v.In("receive_id"), v.In("token"), v.In("encoding_aes_key"), WeComHooks.At(v.In("timestamp")));
        var body = $"<xml><ToUserName><![CDATA[{v.In("receive_id")}]]></ToUserName><Encrypt><![CDATA[{v.In("encrypt")}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>";

        var inbound = await connector.ReceiveAsync(WeComHooks.Post(body, v.In("msg_signature"), v.In("timestamp"), v.In("nonce")), CancellationToken.None);

        var draft = Assert.Single(inbound.Events);
        Assert.Equal("1456453720", draft.Id);
        Assert.Equal("你好", WeComHooks.Data(draft).GetProperty("text").GetString());
        Assert.Equal("ChenJiaShun", WeComHooks.Data(draft).GetProperty("sender").GetProperty("id").GetString());
    }

    private static async Task DecryptJsonEnvelope(JsonElement v)
    {
        await using var connector = WeComHooks.Connector(v.In("receive_id"), v.In("token"), v.In("encoding_aes_key"), WeComHooks.At(v.In("timestamp")));
        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["ToUserName"] = v.In("receive_id"), ["Encrypt"] = v.In("encrypt"), ["AgentID"] = 218 });

        // The signature and decryption pass; the upstream sample's plaintext is itself broken JSON, so the message is refused as malformed (400), not as unauthorized.
        var ex = await Assert.ThrowsAsync<InboundRejectedException>(() =>
            connector.ReceiveAsync(WeComHooks.Post(body, v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), "application/json"), CancellationToken.None).AsTask());
        Assert.Equal(InboundRejection.Malformed, ex.Reason);
        Assert.Contains("decrypted message", ex.Message, StringComparison.Ordinal);

        var crypt = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));
        Assert.Equal(v.Out("plaintext"), Encoding.UTF8.GetString(crypt.Decrypt(v.In("encrypt"))));
    }

    private static async Task EncryptReply(JsonElement v)
    {
        var sealer = new WeComCallbackSealer(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));
        var encrypted = sealer.Encrypt(v.In("reply_plaintext"), Encoding.ASCII.GetBytes(v.In("random16")));
        Assert.Equal(v.Out("encrypt"), encrypted);
        Assert.Equal(v.Out("msg_signature"), sealer.Sign(v.In("timestamp"), v.In("nonce"), encrypted));

        // The same ciphertext, posted as a callback, opens to the message it carries.
        await using var connector = WeComHooks.Connector(v.In("receive_id"), v.In("token"), v.In("encoding_aes_key"), WeComHooks.At(v.In("timestamp")));
        var inbound = await connector.ReceiveAsync(
            WeComHooks.Post(sealer.Envelope(encrypted, 1), v.Out("msg_signature"), v.In("timestamp"), v.In("nonce")), CancellationToken.None);
        var data = WeComHooks.Data(Assert.Single(inbound.Events));
        Assert.Equal("test", data.GetProperty("text").GetString());
    }

    private static async Task SignatureOnly(JsonElement v)
    {
        var sealer = new WeComCallbackSealer(v.In("token"), WeComEmulator.EncodingAesKey, "corp");
        Assert.Equal(v.Out("msg_signature"), sealer.Sign(v.In("timestamp"), v.In("nonce"), v.In("encrypt")));

        // No key was published with this vector: the connector accepts the signature and only then fails to decrypt.
        await using var connector = WeComHooks.Connector("corp", v.In("token"), WeComEmulator.EncodingAesKey, WeComHooks.At(v.In("timestamp")));
        var body = $"<xml><ToUserName><![CDATA[corp]]></ToUserName><Encrypt><![CDATA[{v.In("encrypt")}]]></Encrypt></xml>";
        var ex = await Assert.ThrowsAsync<InboundRejectedException>(() =>
            connector.ReceiveAsync(WeComHooks.Post(body, v.Out("msg_signature"), v.In("timestamp"), v.In("nonce")), CancellationToken.None).AsTask());
        Assert.Contains("cannot be decrypted", ex.Message, StringComparison.Ordinal);
    }
}
