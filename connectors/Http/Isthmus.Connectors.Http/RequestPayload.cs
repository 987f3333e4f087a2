using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Isthmus.Connectors.Http;

/// <summary>
/// The arguments of a <c>request</c> delivery: <c>{"method","path","query","headers","body"}</c>.
/// The body is kept as the payload's own bytes, so it is sent exactly as the flow produced it.
/// </summary>
internal sealed record RequestPayload(
    HttpMethod Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte>? Body)
{
    private static readonly string[] Fields = ["method", "path", "query", "headers", "body"];

    /// <summary>Parses the payload; a mistake in it is a <see cref="FormatException"/> naming the field.</summary>
    public static RequestPayload Parse(ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"payload is not JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("payload must be a JSON object {\"method\",\"path\",\"query\",\"headers\",\"body\"}");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (!Fields.Contains(property.Name))
                {
                    throw new FormatException($"payload has unknown field '{property.Name}'; expected {string.Join(", ", Fields)}");
                }
            }

            var method = root.TryGetProperty("method", out var m) ? Text(m, "method") : "POST";
            if (method.Length == 0 || !method.All(char.IsAsciiLetter))
            {
                throw new FormatException($"payload method '{method}' is not an HTTP method");
            }

            var path = root.TryGetProperty("path", out var p) ? Text(p, "path") : throw new FormatException("payload has no 'path'");
            var body = root.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null ? Slice(payload, b) : (ReadOnlyMemory<byte>?)null;
            return new RequestPayload(new HttpMethod(method.ToUpperInvariant()), path, Pairs(root, "query", allowLists: true), Pairs(root, "headers", allowLists: false), body);
        }
    }

    private static List<KeyValuePair<string, string>> Pairs(JsonElement root, string field, bool allowLists)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (!root.TryGetProperty(field, out var map) || map.ValueKind == JsonValueKind.Null)
        {
            return pairs;
        }

        if (map.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"payload '{field}' must be an object of names to values");
        }

        foreach (var property in map.EnumerateObject())
        {
            if (allowLists && property.Value.ValueKind == JsonValueKind.Array)
            {
                // ?tag=a&tag=b
                pairs.AddRange(property.Value.EnumerateArray().Select(v => KeyValuePair.Create(property.Name, Text(v, $"{field}.{property.Name}"))));
            }
            else
            {
                pairs.Add(KeyValuePair.Create(property.Name, Text(property.Value, $"{field}.{property.Name}")));
            }
        }

        return pairs;
    }

    private static string Text(JsonElement value, string what) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(value)),
        _ => throw new FormatException($"payload '{what}' must be a string, number or boolean, not {value.ValueKind.ToString().ToLowerInvariant()}"),
    };

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> payload, JsonElement body)
    {
        var raw = JsonMarshal.GetRawUtf8Value(body);
        return payload.Span.Overlaps(raw, out var offset) && offset >= 0 ? payload.Slice(offset, raw.Length) : raw.ToArray();
    }
}
