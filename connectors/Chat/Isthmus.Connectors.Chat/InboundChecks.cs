using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Isthmus.Connectors.Chat;

/// <summary>Checks every chat callback makes before it is believed.</summary>
public static class InboundChecks
{
    /// <summary>Compares two signatures in constant time (ASCII, case-sensitive).</summary>
    public static bool SameSignature(string expected, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given));

    /// <summary>Refuses a request whose timestamp is further than <paramref name="tolerance"/> from now.</summary>
    public static void Fresh(DateTimeOffset sent, DateTimeOffset now, TimeSpan tolerance, string header)
    {
        var skew = (now - sent).Duration();
        if (skew > tolerance)
        {
            throw new InboundRejectedException(InboundRejection.StaleTimestamp,
                $"The timestamp in {header} is {skew.TotalSeconds:0} s away from now; at most {tolerance.TotalSeconds:0} s is accepted. Check the sender's clock, or this is a replay.");
        }
    }

    /// <summary>A query parameter or header that must be present.</summary>
    public static string Required(IReadOnlyDictionary<string, string> values, string name, string where) =>
        values.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v
            : throw new InboundRejectedException(InboundRejection.Unauthorized, $"The {where} '{name}' is missing.");

    /// <summary>Parses a JSON body, refusing it with the position of the error.</summary>
    public static JsonElement Json(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException ex)
        {
            throw new InboundRejectedException(InboundRejection.Malformed,
                $"The body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).");
        }
    }

    /// <summary>A JSON reply.</summary>
    public static InboundReply JsonReply(object body, int status = 200) =>
        new(status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ChatEvents.Json));

    /// <summary>A plain-text reply.</summary>
    public static InboundReply TextReply(string text, int status = 200) =>
        new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
}
