using System.Globalization;
using System.Text.Json;

namespace Isthmus.Connectors.Feishu;

/// <summary>Lenient readers of Feishu's JSON (ids and times come as text or numbers depending on the event's age).</summary>
internal static class FeishuJson
{
    /// <summary>The element at <paramref name="path"/>, or <c>null</c>.</summary>
    public static JsonElement? At(this JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e) || e.ValueKind is JsonValueKind.Null)
            {
                return null;
            }
        }

        return e;
    }

    /// <summary>The text at <paramref name="path"/> (numbers written as text), or <c>null</c>.</summary>
    public static string? Str(this JsonElement e, params string[] path) => e.At(path) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

    /// <summary>
    /// A time given as Unix seconds, milliseconds or microseconds (text or number, possibly with a fraction), or
    /// <c>null</c> when it is not one.
    /// </summary>
    public static DateTimeOffset? Time(string? text)
    {
        if (text is null || !decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return null;
        }

        // Seconds until the year 5138, then milliseconds, then microseconds (an SDK fixture has 16 digits).
        var ms = value < 1e11m ? value * 1000 : value < 1e14m ? value : value / 1000;
        return ms > 253402300799999m ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
    }
}
