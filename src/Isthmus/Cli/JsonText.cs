using System.Text.Json;

namespace Isthmus.Cli;

/// <summary>Reads API answers for printing; the API leaves null properties out, so every read allows for that.</summary>
internal static class JsonText
{
    /// <summary>Strings as they are, other values as JSON, <paramref name="missing"/> when absent or null.</summary>
    public static string Text(this JsonElement item, string property, string missing = "-") =>
        item.TryGetProperty(property, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()!,
                JsonValueKind.Null => missing,
                _ => v.GetRawText(),
            }
            : missing;

    /// <summary>The value as JSON (<c>"text"</c>, <c>12</c>, <c>null</c>), <c>null</c> when absent.</summary>
    public static string Json(this JsonElement item, string property) => item.TryGetProperty(property, out var v) ? v.GetRawText() : "null";
}
