using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// The <c>security</c> field of every Agora Chat (Easemob) callback: lowercase hex MD5 of
/// <c>callId + secret + timestamp</c>, the timestamp written as the decimal milliseconds of the body.
/// It proves the sender knows the secret; it does not cover the body, so callbacks are also checked for freshness
/// and deduplicated.
/// </summary>
public static class CallbackSecurity
{
    /// <summary>The value the platform puts in <c>security</c>.</summary>
    public static string Sign(string callId, string secret, string timestamp) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(callId + secret + timestamp)));
}
