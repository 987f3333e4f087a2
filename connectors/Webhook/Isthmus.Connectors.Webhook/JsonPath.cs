using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Isthmus.Connectors.Webhook;

/// <summary>
/// A dotted path into a JSON body (<c>data.orderId</c>, <c>items.0.id</c>). Segments are kept as UTF-8 so
/// lookups on the hot path compare bytes and never transcode property names.
/// </summary>
internal sealed class JsonPath
{
    private readonly byte[][] _names;
    private readonly int[] _indices;

    private JsonPath(string text, string[] segments)
    {
        Text = text;
        _names = [.. segments.Select(Encoding.UTF8.GetBytes)];
        _indices = [.. segments.Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1)];
    }

    /// <summary>The path as written in the settings.</summary>
    public string Text { get; }

    /// <summary>Parses a dotted path; <c>null</c> when a segment is empty.</summary>
    public static JsonPath? TryParse(string text)
    {
        var segments = text.Split('.');
        return text.Length == 0 || segments.Any(s => s.Length == 0) ? null : new JsonPath(text, segments);
    }

    /// <summary>Follows the path from <paramref name="root"/>; a numeric segment also indexes an array.</summary>
    public bool TryFind(JsonElement root, out JsonElement value)
    {
        value = root;
        for (var i = 0; i < _names.Length; i++)
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(_names[i], out var next))
            {
                value = next;
            }
            else if (value.ValueKind == JsonValueKind.Array && _indices[i] >= 0 && _indices[i] < value.GetArrayLength())
            {
                value = value[_indices[i]];
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Text;
}
