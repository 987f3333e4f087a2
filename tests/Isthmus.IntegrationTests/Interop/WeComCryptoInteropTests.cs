using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Isthmus.Connectors.Chat;
using Isthmus.Emulation;
using Isthmus.Emulators.WeCom;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Interop;

/// <summary>
/// WeCom's callback crypto against the official <c>@wecom/crypto</c> package: callbacks it encrypts and signs are
/// accepted by the real host and decoded into events, its URL check is answered, and what our
/// <see cref="WxBizMsgCrypt"/> encrypts it decrypts to the same message and receive id with the same signature.
/// </summary>
public sealed class WeComCryptoInteropTests : IAsyncLifetime
{
    private const string Package = "@wecom/crypto";
    private const string Script = "wecom-crypto.js";

    private const string Flows = """
          chat:
            trigger: { connection: wecom, event: message.received }
            steps:
              - action: forward
                connection: sink
                method: POST
                path: /messages
                body: { text: "=data.text", from: "=data.sender.id", messageId: "=data.messageId" }
        """;

    private WeComEmulator _emulator = null!;
    private IsthmusApplication _app = null!;

    public async ValueTask InitializeAsync()
    {
        // Without node or the package every test skips (at its first node call): nothing to start for them.
        if (NodeScript.Missing(Package) is not null)
        {
            return;
        }

        _emulator = new WeComEmulator(new EmulatorOptions());
        await _emulator.StartAsync();
        _app = await IsthmusApplication.StartAsync(Flows, _emulator.Connection().ToYaml("wecom"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static string Nonce() => RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);

    /// <summary>The package's <c>encrypt</c> and <c>getSignature</c> of <paramref name="message"/> for our corp.</summary>
    private static async Task<(string Encrypt, string Signature)> SealAsync(string message, string timestamp, string nonce)
    {
        var sealedByPackage = await NodeScript.RunAsync(Package, Script,
            ["seal", WeComEmulator.EncodingAesKey, WeComEmulator.CorpId, WeComEmulator.Token, timestamp, nonce], message);
        return (sealedByPackage.GetProperty("encrypt").GetString()!, sealedByPackage.GetProperty("signature").GetString()!);
    }

    private static string Query(string signature, string timestamp, string nonce) =>
        $"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}";

    // Content lengths: one arbitrary, and one that makes the plaintext a whole number of 32-byte blocks, so the
    // package pads with a full block of 32 (the case .NET's own PKCS#7 would refuse).
    [Theory]
    [InlineData("urgent: 服务器宕机 ✓", "li.wei")]
    [InlineData("aligned", "zhang.san")]
    public async Task MessageSealedByTheSdk_IsAcceptedByTheHost_AndDecodedIntoTheEvent(string content, string from)
    {
        var msgId = RandomNumberGenerator.GetInt32(1, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        string Xml(string text) =>
            $"<xml><ToUserName><![CDATA[{WeComEmulator.CorpId}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>"
            + $"<CreateTime>{Now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            + $"<MsgId>{msgId}</MsgId><AgentID>{WeComEmulator.AgentId}</AgentID></xml>";
        if (content == "aligned")
        {
            while ((20 + Encoding.UTF8.GetByteCount(Xml(content)) + WeComEmulator.CorpId.Length) % 32 != 0)
            {
                content += "x";
            }
        }

        var (timestamp, nonce) = (Now(), Nonce());
        var (encrypted, signature) = await SealAsync(Xml(content), timestamp, nonce);
        var envelope = $"<xml><ToUserName><![CDATA[{WeComEmulator.CorpId}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            + $"<AgentID><![CDATA[{WeComEmulator.AgentId}]]></AgentID></xml>";

        using var response = await _app.Http.PostAsync($"/hooks/wecom?{Query(signature, timestamp, nonce)}",
            new StringContent(envelope, Encoding.UTF8, "text/xml"));

        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var forwarded = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/messages"))).Single(x => x.Path == "/messages").Json;
        Assert.Equal(content, forwarded.GetProperty("text").GetString());
        Assert.Equal(from, forwarded.GetProperty("from").GetString());
        Assert.Equal(msgId, forwarded.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task MessageSealedByTheSdk_WithAnotherToken_IsRefused()
    {
        var (timestamp, nonce) = (Now(), Nonce());
        var sealedByPackage = await NodeScript.RunAsync(Package, Script,
            ["seal", WeComEmulator.EncodingAesKey, WeComEmulator.CorpId, "not-our-token", timestamp, nonce], "<xml><MsgType>text</MsgType></xml>");
        var envelope = $"<xml><Encrypt><![CDATA[{sealedByPackage.GetProperty("encrypt").GetString()}]]></Encrypt></xml>";

        using var response = await _app.Http.PostAsync(
            $"/hooks/wecom?{Query(sealedByPackage.GetProperty("signature").GetString()!, timestamp, nonce)}",
            new StringContent(envelope, Encoding.UTF8, "text/xml"));

        Assert.False(response.IsSuccessStatusCode);
        Assert.Empty(_app.Sink.Requests);
    }

    [Fact]
    public async Task UrlCheckSealedByTheSdk_IsAnsweredWithTheEchoInPlainText()
    {
        var echo = "echo-" + Nonce();
        var (timestamp, nonce) = (Now(), Nonce());
        var (encrypted, signature) = await SealAsync(echo, timestamp, nonce);

        using var response = await _app.Http.GetAsync($"/hooks/wecom?{Query(signature, timestamp, nonce)}&echostr={Uri.EscapeDataString(encrypted)}");

        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(echo, await response.Content.ReadAsStringAsync());
    }

    // Lengths 0 and 12 (20 + 12 + 16-byte corp id = 48) and 28 (a whole 64: a full 32-byte pad) and a long, non-ASCII reply.
    [Theory]
    [InlineData("")]
    [InlineData("<xml></xml>.")]
    [InlineData("<xml><a>1234567890</a></xml>")]
    [InlineData("<xml><Content><![CDATA[审批已通过 — approved ✓ 🎉]]></Content><Long>0123456789012345678901234567890123456789012345678901234567890123456789</Long></xml>")]
    public async Task ReplyEncryptedByUs_DecryptsWithTheSdk_ToTheSameMessageIdAndSignature(string message)
    {
        var crypt = new WxBizMsgCrypt(WeComEmulator.Token, WeComEmulator.EncodingAesKey, WeComEmulator.CorpId);
        var (timestamp, nonce) = (Now(), Nonce());
        var encrypted = crypt.Encrypt(message);

        var opened = await NodeScript.RunAsync(Package, Script, ["open", WeComEmulator.EncodingAesKey, WeComEmulator.Token, timestamp, nonce], encrypted);

        Assert.Equal(message, opened.GetProperty("message").GetString());
        Assert.Equal(WeComEmulator.CorpId, opened.GetProperty("id").GetString());
        Assert.Equal(crypt.Sign(timestamp, nonce, encrypted), opened.GetProperty("signature").GetString());
    }
}
