using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Isthmus.Storage.Sqlite;

/// <summary>
/// Field and connection names read back from stored JSON, one string per name: every origin of every link and entity
/// read holds them, and decoding each afresh was a good part of what reading a page of links allocated.
/// </summary>
internal static class StoredNames
{
    // Names come from the model and the connections, so there are few; the bound only keeps an odd store from growing it.
    private const int Limit = 4096;
    private const int LongestKept = 64;
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByChars = Names.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// The string at the reader (a property name or a string value), shared with every earlier read of the same name;
    /// as <see cref="Utf8JsonReader.GetString"/> for anything else (null for a JSON null).
    /// </summary>
    public static string? Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || reader.ValueIsEscaped || reader.HasValueSequence
            || reader.ValueSpan.Length > LongestKept)
        {
            return reader.GetString();
        }

        Span<char> chars = stackalloc char[LongestKept];
        var name = chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)];
        if (ByChars.TryGetValue(name, out var known))
        {
            return known;
        }

        var text = name.ToString();
        return Names.Count < Limit ? Names.GetOrAdd(text, text) : text;
    }
}
