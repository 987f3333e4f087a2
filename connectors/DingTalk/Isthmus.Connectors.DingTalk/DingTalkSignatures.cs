using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// DingTalk's HMAC-SHA256 signatures. Unlike Feishu, DingTalk keys the HMAC with the secret itself.
/// </summary>
public static class DingTalkSignatures
{
    /// <summary>
    /// A custom group robot's <c>sign</c> (加签), before URL-encoding: Base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret)).
    /// The same formula, keyed with the app secret, signs the robot messages DingTalk posts to an app (headers <c>timestamp</c>, <c>sign</c>).
    /// </summary>
    public static string RobotSign(string secret, string timestampMs) =>
        Hmac(secret, timestampMs + "\n" + secret);

    /// <summary>The robot <c>sign</c> URL-encoded for the query string (<c>+</c> → <c>%2B</c>, <c>=</c> → <c>%3D</c>).</summary>
    public static string RobotSignUrlEncoded(string secret, string timestampMs) =>
        Uri.EscapeDataString(RobotSign(secret, timestampMs));

    /// <summary>The legacy server-API <c>signature</c>: Base64(HMAC-SHA256(key = appSecret, msg = timestamp)) — the timestamp alone.</summary>
    public static string LegacyApiSignature(string appSecret, string timestampMs) => Hmac(appSecret, timestampMs);

    /// <summary>The legacy signature URL-encoded.</summary>
    public static string LegacyApiSignatureUrlEncoded(string appSecret, string timestampMs) =>
        Uri.EscapeDataString(LegacyApiSignature(appSecret, timestampMs));

    /// <summary>Milliseconds since 1970 as DingTalk writes them.</summary>
    public static string Milliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static string Hmac(string key, string message) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(message)));
}
