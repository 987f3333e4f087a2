using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Isthmus.Benchmarks;

/// <summary>One signed inbound request, ready to send.</summary>
public readonly record struct PreparedEvent(byte[] Body, int Length, string Signature);

/// <summary>
/// Produces the inbound webhook bodies: a unique id per event, one of <see cref="KeyCount"/> order keys,
/// and the send time in <c>data.sentAt</c> (<see cref="Clock.NowUs"/>). Bodies are formatted straight
/// into a byte buffer and signed with HMAC-SHA256, with no intermediate strings or JSON serializer.
/// </summary>
public sealed class EventFactory
{
    public const int KeyCount = 1000;
    public const int MaxBodyBytes = 256;
    public const string Secret = "bench-secret";
    public const string SignatureHeader = "X-Hub-Signature-256";

    static readonly byte[] SecretBytes = Encoding.UTF8.GetBytes(Secret);

    readonly string _runId;
    long _sequence;

    public EventFactory(string runId) => _runId = runId;

    /// <summary>Events created so far (each has a distinct id).</summary>
    public long Created => Interlocked.Read(ref _sequence);

    /// <summary>Formats a new event into <paramref name="buffer"/> (at least <see cref="MaxBodyBytes"/> long), stamping the current time.</summary>
    public PreparedEvent Create(byte[] buffer)
    {
        long seq = Interlocked.Increment(ref _sequence);
        long key = seq % KeyCount;
        long sentAt = Clock.NowUs();
        if (!Utf8.TryWrite(buffer, $$$"""{"id":"{{{_runId}}}-{{{seq}}}","type":"order.approved","data":{"orderId":"o-{{{key:D4}}}","amount":123,"status":"approved","sentAt":{{{sentAt}}}}}""", out int length))
        {
            throw new InvalidOperationException("Event body does not fit the buffer.");
        }

        return new PreparedEvent(buffer, length, Sign(buffer.AsSpan(0, length)));
    }

    public static string Sign(ReadOnlySpan<byte> body)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(SecretBytes, body, mac);
        return "sha256=" + Convert.ToHexStringLower(mac);
    }
}
