using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Isthmus.Connectors.Http.Records;

/// <summary>
/// Where a change feed resumes: the updatedAt of the last record returned, exactly as the system wrote it, and the ids
/// already returned at that instant. The next read asks for changes since that time (inclusive) and skips those ids, so
/// records that share a timestamp across a page boundary are neither missed nor repeated.
/// </summary>
internal sealed record ChangeCursor(
    [property: JsonPropertyName("since")] string Since,
    [property: JsonPropertyName("seen")] IReadOnlyList<string> Seen)
{
    public string Encode() => JsonSerializer.Serialize(this);

    public static ChangeCursor? Decode(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            var cursor = JsonSerializer.Deserialize<ChangeCursor>(text);
            if (cursor?.Since is not null && cursor.Seen is not null)
            {
                return cursor;
            }
        }
        catch (JsonException)
        {
        }

        throw new FormatException($"cursor '{(text.Length > 60 ? text[..60] + "…" : text)}' was not made by an http record connection; start over with a full read (cursor null)");
    }

    /// <summary>Orders two updatedAt values (see <see cref="Stamp"/>).</summary>
    public static int Compare(string a, string b) => Stamp.Parse(a).CompareTo(Stamp.Parse(b));
}

/// <summary>
/// An updatedAt value, parsed once: compared as instants when both are ISO-8601 times, as numbers when both are numbers
/// (epoch seconds or milliseconds), else as text.
/// </summary>
internal readonly record struct Stamp(string Text, DateTimeOffset? Time, decimal? Number) : IComparable<Stamp>
{
    public static Stamp Parse(string text)
    {
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return new Stamp(text, null, n);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? new Stamp(text, t, null)
            : new Stamp(text, null, null);
    }

    public int CompareTo(Stamp other) => (Time, other.Time, Number, other.Number) switch
    {
        ({ } a, { } b, _, _) => a.CompareTo(b),
        (_, _, { } a, { } b) => a.CompareTo(b),
        _ => string.CompareOrdinal(Text, other.Text),
    };
}
