using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// Opens WeCom callbacks: the URL check (GET with <c>echostr</c>) and event posts (XML or JSON envelope with
/// <c>Encrypt</c>). Checks <c>msg_signature</c> over the ciphertext, the timestamp window, then decrypts (the
/// plaintext must end with the corp id).
/// </summary>
internal sealed class WeComCallback(WxBizMsgCrypt crypt, TimeProvider time, TimeSpan tolerance)
{
    /// <summary>The decrypted <c>echostr</c> of a URL check, to be answered as is.</summary>
    public string Echo(InboundRequest request)
    {
        var (signature, timestamp, nonce) = Signed(request);
        var echo = Base64(InboundChecks.Required(request.Query, "echostr", "query parameter"));
        Check(signature, timestamp, nonce, echo, "echostr");
        return Encoding.UTF8.GetString(Decrypt(echo, "echostr"));
    }

    /// <summary>The decrypted message of an event post (XML or JSON, as WeCom wrote it).</summary>
    public byte[] Open(InboundRequest request)
    {
        var (signature, timestamp, nonce) = Signed(request);
        var encrypted = Base64(Envelope(request.Body.Span));
        Check(signature, timestamp, nonce, encrypted, "Encrypt");
        return Decrypt(encrypted, "Encrypt");
    }

    private static (string Signature, string Timestamp, string Nonce) Signed(InboundRequest request) => (
        InboundChecks.Required(request.Query, "msg_signature", "query parameter"),
        InboundChecks.Required(request.Query, "timestamp", "query parameter"),
        InboundChecks.Required(request.Query, "nonce", "query parameter"));

    private void Check(string signature, string timestamp, string nonce, string encrypted, string what)
    {
        if (!crypt.Verify(signature, timestamp, nonce, encrypted))
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                $"The msg_signature does not sign the {what} with this connection's token; check the callback Token.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized, $"The timestamp '{timestamp}' is not Unix seconds.");
        }

        InboundChecks.Fresh(DateTimeOffset.FromUnixTimeSeconds(seconds), time.GetUtcNow(), tolerance, "the timestamp query parameter");
    }

    private byte[] Decrypt(string encrypted, string what)
    {
        try
        {
            return crypt.Decrypt(encrypted);
        }
        catch (CryptographicException ex)
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                $"The {what} cannot be decrypted with this connection's EncodingAESKey and corpId: {ex.Message}.");
        }
    }

    // Base64 never holds spaces: a '+' that reached us as a space was decoded from an unescaped query.
    private static string Base64(string value) => value.Replace(' ', '+');

    private static string Envelope(ReadOnlySpan<byte> body)
    {
        var text = body.Trim("\t\n\r "u8);
        if (text.Length > 0 && text[0] == (byte)'<')
        {
            var xml = XmlJson.Parse(text) ?? throw Malformed("The body is not well-formed XML.");
            return xml.Child("Encrypt") is { Length: > 0 } e ? e : throw Malformed("The XML body has no <Encrypt> element.");
        }

        if (text.Length > 0 && text[0] == (byte)'{')
        {
            var json = InboundChecks.Json(text.ToArray());
            foreach (var name in (string[])["Encrypt", "encrypt"])
            {
                if (json.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }

            throw Malformed("The JSON body has no \"Encrypt\" field.");
        }

        throw Malformed("The body must be WeCom's XML (<xml><Encrypt>…</Encrypt></xml>) or its JSON envelope.");
    }

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);

    /// <summary>Parses a decrypted message: XML, or the JSON flavour (turned into the same element tree).</summary>
    public static XElement Plaintext(byte[] plain)
    {
        var text = plain.AsSpan().Trim("\t\n\r "u8);
        if (text.Length > 0 && text[0] == (byte)'<')
        {
            return XmlJson.Parse(text) ?? throw Malformed("The decrypted message is not well-formed XML.");
        }

        try
        {
            using var json = JsonDocument.Parse(text.ToArray());
            return json.RootElement.ValueKind == JsonValueKind.Object ? FromJson("xml", json.RootElement)
                : throw Malformed("The decrypted JSON message is not an object.");
        }
        catch (JsonException ex)
        {
            throw Malformed($"The decrypted message is neither XML nor valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).");
        }
    }

    private static XElement FromJson(string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => new XElement(name, value.EnumerateObject().SelectMany(p => p.Value.ValueKind == JsonValueKind.Array
            ? p.Value.EnumerateArray().Select(i => FromJson(p.Name, i))
            : [FromJson(p.Name, p.Value)])),
        JsonValueKind.String => new XElement(name, value.GetString()),
        _ => new XElement(name, value.GetRawText()),
    };
}
