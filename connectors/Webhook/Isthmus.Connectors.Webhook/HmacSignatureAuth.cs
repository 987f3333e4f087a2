using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.Webhook;

/// <summary>
/// <c>type: hmac-sha256</c>: the header carries <c>prefix + encode(HMAC-SHA256(secret, signed))</c>, where
/// <c>signed</c> is the raw body, or <c>"{timestamp}.{raw body}"</c> when a timestamp header is configured.
/// The timestamp is checked only after the signature, so it is trusted before it is judged.
/// </summary>
internal sealed class HmacSignatureAuth(
    byte[] secret, string header, string prefix, bool base64, string? timestampHeader, TimeSpan tolerance) : InboundAuth
{
    private const int MacSize = HMACSHA256.HashSizeInBytes;

    public override void Verify(InboundRequest request, DateTimeOffset now)
    {
        var signature = RequiredHeader(request, header);
        var timestamp = timestampHeader is null ? null : RequiredHeader(request, timestampHeader);
        long timestampMs = 0;
        if (timestamp is not null && !TryParseTimestamp(timestamp, out timestampMs))
        {
            throw Unauthorized($"header {timestampHeader} must be unix time in seconds or milliseconds, not '{Shorten(timestamp)}'");
        }

        Span<byte> presented = stackalloc byte[MacSize];
        if (!TryDecode(signature, presented))
        {
            throw Unauthorized(signature.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                ? $"header {header} does not hold a {(base64 ? "base64" : "hex")} HMAC-SHA256 after '{prefix}'"
                : $"header {header} must start with '{prefix}'");
        }

        Span<byte> expected = stackalloc byte[MacSize];
        Compute(request.Body.Span, timestamp, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            throw Unauthorized("signature does not match the body; check the shared secret");
        }

        if (timestamp is not null)
        {
            var skewMs = Math.Abs(now.ToUnixTimeMilliseconds() - timestampMs);
            if (skewMs > tolerance.TotalMilliseconds)
            {
                throw new InboundRejectedException(InboundRejection.StaleTimestamp,
                    $"timestamp {timestamp} is {skewMs / 1000} s from server time; tolerance is {(long)tolerance.TotalSeconds} s");
            }
        }
    }

    /// <summary>Unix seconds, or milliseconds when above 10^12 (i.e. after 2001 in ms, year 33658 in s).</summary>
    private static bool TryParseTimestamp(string text, out long ms)
    {
        ms = 0;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 100_000_000_000_000)
        {
            return false;
        }

        ms = value > 1_000_000_000_000 ? value : value * 1000;
        return true;
    }

    private bool TryDecode(string signature, Span<byte> mac)
    {
        if (!signature.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = signature.AsSpan(prefix.Length).Trim();
        if (base64)
        {
            return Convert.TryFromBase64Chars(encoded, mac, out var written) && written == MacSize;
        }

        return encoded.Length == MacSize * 2
            && Convert.FromHexString(encoded, mac, out _, out var bytes) == OperationStatus.Done && bytes == MacSize;
    }

    private void Compute(ReadOnlySpan<byte> body, string? timestamp, Span<byte> mac)
    {
        if (timestamp is null)
        {
            HMACSHA256.HashData(secret, body, mac);
            return;
        }

        // The static HashData needs one contiguous input; a pooled copy is cheaper than an IncrementalHash per call.
        var buffer = ArrayPool<byte>.Shared.Rent(timestamp.Length + 1 + body.Length);
        var length = Encoding.ASCII.GetBytes(timestamp, buffer);
        buffer[length++] = (byte)'.';
        body.CopyTo(buffer.AsSpan(length));
        HMACSHA256.HashData(secret, buffer.AsSpan(0, length + body.Length), mac);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
