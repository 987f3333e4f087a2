using System.Text;
using Isthmus.Connectors.Chat;

namespace Isthmus.Emulators.WeCom;

/// <summary>
/// Encrypts and signs callbacks as WeCom does: the message is encrypted with the app's EncodingAESKey (ending with the
/// corp id), the ciphertext travels in <c>&lt;Encrypt&gt;</c> of an XML envelope, and <c>msg_signature</c>,
/// <c>timestamp</c> and <c>nonce</c> travel in the query string.
/// </summary>
public sealed class WeComCallbackSealer(string token, string encodingAesKey, string corpId)
{
    private readonly WxBizMsgCrypt _crypt = new(token, encodingAesKey, corpId);

    /// <summary>The base64 ciphertext of <paramref name="message"/>; <paramref name="random"/> (16 bytes) is fixed only in tests.</summary>
    public string Encrypt(string message, ReadOnlySpan<byte> random = default) => _crypt.Encrypt(Encoding.UTF8.GetBytes(message), random);

    /// <summary>The <c>msg_signature</c> of <paramref name="encrypted"/>.</summary>
    public string Sign(string timestamp, string nonce, string encrypted) => _crypt.Sign(timestamp, nonce, encrypted);

    /// <summary>The POST body WeCom sends: <c>&lt;xml&gt;&lt;ToUserName/&gt;&lt;Encrypt/&gt;&lt;AgentID/&gt;&lt;/xml&gt;</c>.</summary>
    public string Envelope(string encrypted, long agentId) =>
        $"<xml><ToUserName><![CDATA[{corpId}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[{agentId}]]></AgentID></xml>";

    /// <summary>The callback URL with the signed query (and <c>echostr</c> for a URL check), escaped as WeCom does.</summary>
    public static string Url(string callbackUrl, string signature, string timestamp, string nonce, string? echostr = null)
    {
        var query = $"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}";
        if (echostr is not null)
        {
            query += "&echostr=" + Uri.EscapeDataString(echostr);
        }

        return callbackUrl + (callbackUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
    }
}
