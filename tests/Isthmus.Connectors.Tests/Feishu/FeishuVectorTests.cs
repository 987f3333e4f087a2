using System.Text;
using Isthmus.Connectors.Feishu;
using Isthmus.Connectors.Tests.Support;

namespace Isthmus.Connectors.Tests.Feishu;

public sealed class FeishuVectorTests
{
    public static TheoryData<string> All() => [.. Vectors.Of("feishu")];

    [Theory]
    [MemberData(nameof(All))]
    public void Every_feishu_vector_is_reproduced(string id)
    {
        var v = Vectors.Get(id);
        var inputs = v.GetProperty("inputs");
        bool Has(string name) => inputs.TryGetProperty(name, out _);
        if (Has("encrypt") && Has("encrypt_key"))
        {
            var plain = FeishuCrypto.Decrypt(v.In("encrypt_key"), v.In("encrypt"));
            Assert.Equal(v.Out("plaintext"), Encoding.UTF8.GetString(plain));
            if (v.GetProperty("expected").TryGetProperty("aes_key_hex", out _))
            {
                Assert.Equal(v.Out("aes_key_hex"), Convert.ToHexStringLower(FeishuCrypto.AesKey(v.In("encrypt_key"))));
            }

            // The emulator encrypts with the same function: with the vector's IV it must give the vector's ciphertext.
            var iv = Convert.FromBase64String(v.In("encrypt")).AsSpan(0, 16);
            Assert.Equal(v.In("encrypt"), FeishuCrypto.Encrypt(v.In("encrypt_key"), plain, iv));
        }
        else if (Has("secret") && Has("timestamp_s"))
        {
            Assert.Equal(v.Out("sign"), FeishuCrypto.BotSign(v.In("timestamp_s"), v.In("secret")));
            if (v.GetProperty("expected").TryGetProperty("wrong_dingtalk_style_value", out _))
            {
                Assert.NotEqual(v.Out("wrong_dingtalk_style_value"), FeishuCrypto.BotSign(v.In("timestamp_s"), v.In("secret")));
            }
        }
        else if (Has("encrypt_key") && Has("raw_body"))
        {
            Assert.Equal(v.Out("x_lark_signature"), FeishuCrypto.EventSignature(v.In("x_lark_request_timestamp"), v.In("x_lark_request_nonce"),
                v.In("encrypt_key"), Encoding.UTF8.GetBytes(v.In("raw_body"))));
        }
        else if (Has("verification_token") && Has("raw_body"))
        {
            Assert.Equal(v.Out("x_lark_signature"), FeishuCrypto.LegacyCardSignature(v.In("x_lark_request_timestamp"), v.In("x_lark_request_nonce"),
                v.In("verification_token"), Encoding.UTF8.GetBytes(v.In("raw_body"))));
        }
        else
        {
            Assert.Fail($"The vector '{id}' has inputs this test does not know: {inputs.GetRawText()}");
        }
    }

    [Fact]
    public void The_known_vectors_are_present()
    {
        var ids = Vectors.Of("feishu").ToList();
        Assert.Contains("feishu-decrypt-doc-hello-world", ids);
        Assert.Contains("feishu-decrypt-go-sdk", ids);
        Assert.Contains("feishu-custom-bot-sign-1661860880", ids);
        Assert.Contains("feishu-event-signature-derived", ids);
        Assert.Contains("feishu-legacy-card-signature-derived", ids);
    }

    [Fact]
    public async Task The_signed_vector_request_passes_the_connector_and_decrypts()
    {
        // The derived vector's body is the Java SDK's encrypted event; its timestamp header is not a number, so the
        // request is refused only for the timestamp, after the signature matched.
        var v = Vectors.Get("feishu-event-signature-derived");
        var connector = Feishu.Connect($"""
            appId: a
            appSecret: s
            verificationToken: v
            encryptKey: {v.In("encrypt_key")}
            """);
        var body = Encoding.UTF8.GetBytes(v.In("raw_body"));
        var ok = await connector.RejectAsync(Feishu.Request(body, ("X-Lark-Request-Timestamp", v.In("x_lark_request_timestamp")),
            ("X-Lark-Request-Nonce", v.In("x_lark_request_nonce")), ("X-Lark-Signature", v.Out("x_lark_signature"))));
        Assert.Contains("not Unix seconds", ok.Message, StringComparison.Ordinal);

        var bad = await connector.RejectAsync(Feishu.Request(body, ("X-Lark-Request-Timestamp", v.In("x_lark_request_timestamp")),
            ("X-Lark-Request-Nonce", v.In("x_lark_request_nonce")), ("X-Lark-Signature", new string('0', 64))));
        Assert.Contains("does not match", bad.Message, StringComparison.Ordinal);
    }
}
