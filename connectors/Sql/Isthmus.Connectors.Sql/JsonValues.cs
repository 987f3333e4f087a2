using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Connectors.Sql;

/// <summary>Conversions between JSON values and database values that both engines share.</summary>
internal static class JsonValues
{
    /// <summary>A JSON number with exactly the digits of <paramref name="text"/>, or <c>null</c> when it is not a JSON number.</summary>
    public static JsonNode? NumberFromText(string text)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            if (!reader.Read() || reader.TokenType != JsonTokenType.Number || reader.Read())
            {
                return null;
            }

            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON value for a database double: shortest round-trip digits; NaN and infinities as text.</summary>
    public static JsonNode Real(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>ISO-8601: <c>2024-03-01T10:20:30.123456Z</c> for UTC, no offset for a clock time without zone.</summary>
    public static string Timestamp(DateTime value) =>
        value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture) + (value.Kind == DateTimeKind.Utc ? "Z" : "");

    /// <summary>The text of a JSON scalar as a database would read it (numbers with their exact digits).</summary>
    public static string ScalarText(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };

    /// <summary>Whether <paramref name="value"/> is a whole number that fits 64 bits; <paramref name="result"/> holds it.</summary>
    public static bool TryInteger(JsonNode value, out long result)
    {
        result = 0;
        switch (value.GetValueKind())
        {
            case JsonValueKind.Number:
                var text = value.ToJsonString();
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result))
                {
                    return true;
                }

                // 12.0 and 1e3 are whole numbers too.
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d)
                    && d >= long.MinValue && d <= long.MaxValue)
                {
                    result = (long)d;
                    return true;
                }

                return false;
            case JsonValueKind.String:
                return long.TryParse(value.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result);
            case JsonValueKind.True:
                result = 1;
                return true;
            case JsonValueKind.False:
                return true;
            default:
                return false;
        }
    }

    /// <summary>The exact decimal text of a JSON number or numeric string, or <c>null</c>.</summary>
    public static string? DecimalText(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Number => value.ToJsonString(),
        JsonValueKind.String when NumberFromText(value.GetValue<string>().Trim()) is not null => value.GetValue<string>().Trim(),
        _ => null,
    };

    public static bool? Bool(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.ToJsonString() switch { "0" => false, "1" => true, _ => null },
        JsonValueKind.String => value.GetValue<string>().Trim().ToLowerInvariant() switch
        {
            "true" or "t" or "yes" or "y" or "1" => true,
            "false" or "f" or "no" or "n" or "0" => false,
            _ => null,
        },
        _ => null,
    };

    /// <summary>Whether a stored soft-delete flag says "deleted": true, a non-zero number, or any timestamp.</summary>
    public static bool IsSet(JsonNode? value) => value is not null && value.GetValueKind() switch
    {
        JsonValueKind.Null => false,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.ToJsonString() != "0",
        JsonValueKind.String => Bool(value) ?? true,
        _ => true,
    };

    /// <summary>A timestamp text as an instant; a clock time without zone is taken as UTC.</summary>
    public static DateTimeOffset? Instant(JsonNode? value) =>
        value is not null && value.GetValueKind() == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetValue<string>(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at) ? at : null;

    /// <summary>A value for a message: strings quoted, long values cut.</summary>
    public static string Show(JsonNode? value)
    {
        var text = value is null ? "null" : value.ToJsonString();
        return text.Length <= 120 ? text : text[..117] + "...";
    }

    /// <summary>The error for a value the column cannot take.</summary>
    public static ConnectorException Reject(TableSchema table, ColumnInfo column, JsonNode? value, string why) =>
        new($"{table.RecordType}: column '{column.Name}' ({column.TypeName}) of table '{table.DisplayName}' cannot take {Show(value)}: {why}",
            FailureKind.Rejected);
}
