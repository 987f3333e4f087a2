using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// Slack's request signing (version <c>v0</c>): <c>X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing secret,
/// "v0:" + X-Slack-Request-Timestamp + ":" + raw body))</c>, timestamps in seconds, at most 300 s of skew.
/// </summary>
public static class SlackSignature
{
    /// <summary>The header carrying the signature.</summary>
    public const string SignatureHeader = "X-Slack-Signature";

    /// <summary>The header carrying the timestamp (seconds since 1970).</summary>
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    /// <summary>How far the timestamp may be from now.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>The signature Slack sends for <paramref name="body"/> at <paramref name="timestamp"/>.</summary>
    public static string Compute(string signingSecret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes("v0:" + timestamp + ":");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingSecret), message));
    }

    /// <summary>The signature of a UTF-8 body.</summary>
    public static string Compute(string signingSecret, string timestamp, string body) =>
        Compute(signingSecret, timestamp, Encoding.UTF8.GetBytes(body));

    /// <summary>
    /// Checks both headers of <paramref name="request"/>: present, the timestamp within <see cref="Tolerance"/> of
    /// <paramref name="now"/>, the signature equal (constant time). Throws <see cref="InboundRejectedException"/> otherwise.
    /// </summary>
    public static void Verify(InboundRequest request, string signingSecret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var timestamp = InboundChecks.Required(request.Headers, TimestampHeader, "header");
        var signature = InboundChecks.Required(request.Headers, SignatureHeader, "header");
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253_402_300_799)
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                $"The header '{TimestampHeader}' must be whole seconds since 1970, not '{Shorten(timestamp)}'.");
        }

        InboundChecks.Fresh(DateTimeOffset.FromUnixTimeSeconds(seconds), now, Tolerance, TimestampHeader);
        if (!InboundChecks.SameSignature(Compute(signingSecret, timestamp, request.Body.Span), signature))
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                $"The {SignatureHeader} does not match the body: check the connection's signingSecret (Slack app → Basic Information → Signing Secret), and that nothing between Slack and Isthmus changes the body.");
        }
    }

    private static string Shorten(string value) => value.Length <= 20 ? value : value[..20] + "…";
}
