using System.Security.Cryptography;
using System.Text;
using Isthmus.Connectors.Chat;
using Isthmus.Connectors.Tests.Support;

namespace Isthmus.Connectors.Tests.Chat;

public sealed class WxBizMsgCryptTests
{
    [Fact]
    public void Verifies_and_decrypts_the_official_url_verification()
    {
        var v = Vectors.Get("wecom-verify-url-official");
        var crypt = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));

        Assert.True(crypt.Verify(v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), Uri.UnescapeDataString(v.In("echostr_url_encoded"))));
        Assert.Equal(v.Out("response_body"), Encoding.UTF8.GetString(crypt.Decrypt(v.In("echostr"))));
    }

    [Fact]
    public void Decrypts_a_message_padded_beyond_16_bytes()
    {
        var v = Vectors.Get("wecom-decrypt-xml-official");
        var crypt = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));
        var encrypt = System.Xml.Linq.XElement.Parse(v.In("post_body")).Element("Encrypt")!.Value;

        Assert.True(crypt.Verify(v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), encrypt));
        Assert.Equal(v.Out("plaintext"), Encoding.UTF8.GetString(crypt.Decrypt(encrypt)));
    }

    [Fact]
    public void Counts_the_message_length_in_bytes()
    {
        var v = Vectors.Get("wecom-decrypt-xml-utf8");
        var crypt = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));

        Assert.True(crypt.Verify(v.In("msg_signature"), v.In("timestamp"), v.In("nonce"), v.In("encrypt")));
        Assert.Equal(v.Out("plaintext"), Encoding.UTF8.GetString(crypt.Decrypt(v.In("encrypt"))));
    }

    [Fact]
    public void Encrypts_a_reply_byte_for_byte()
    {
        var v = Vectors.Get("wecom-wechatpy-encrypt-reply");
        var crypt = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id"));

        var encrypted = crypt.Encrypt(Encoding.UTF8.GetBytes(v.In("reply_plaintext")), Encoding.ASCII.GetBytes(v.In("random16")));

        Assert.Equal(v.Out("encrypt"), encrypted);
    }

    [Fact]
    public void Signs_as_the_platform_does()
    {
        var v = Vectors.Get("wecom-signature-only-skit");

        Assert.Equal(v.Out("msg_signature"), WxBizMsgCrypt.Signature(v.In("token"), v.In("timestamp"), v.In("nonce"), v.In("encrypt")));
    }

    [Fact]
    public void Refuses_a_wrong_receive_id_a_wrong_key_and_a_tampered_ciphertext()
    {
        var v = Vectors.Get("wecom-verify-url-official");
        var echo = v.In("echostr");

        var otherId = new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), "someone-else");
        Assert.Contains("not for 'someone-else'", Assert.ThrowsAny<CryptographicException>(() => otherId.Decrypt(echo)).Message, StringComparison.Ordinal);

        var otherKey = new WxBizMsgCrypt(v.In("token"), "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", v.In("receive_id"));
        Assert.ThrowsAny<CryptographicException>(() => otherKey.Decrypt(echo));

        var bytes = Convert.FromBase64String(echo);
        bytes[^1] ^= 0x5A;
        Assert.ThrowsAny<CryptographicException>(() => new WxBizMsgCrypt(v.In("token"), v.In("encoding_aes_key"), v.In("receive_id")).Decrypt(Convert.ToBase64String(bytes)));
    }

    [Fact]
    public void Round_trips_any_text_and_rejects_a_changed_signature()
    {
        var crypt = new WxBizMsgCrypt("tok", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "corp");
        foreach (var text in new[] { "", "success", "你好，世界", new string('x', 31), new string('y', 32), new string('z', 1000) })
        {
            var encrypted = crypt.Encrypt(text);
            Assert.Equal(text, Encoding.UTF8.GetString(crypt.Decrypt(encrypted)));
            var signature = crypt.Sign("1", "2", encrypted);
            Assert.True(crypt.Verify(signature, "1", "2", encrypted));
            Assert.False(crypt.Verify(signature, "1", "3", encrypted));
        }
    }
}
