using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Model;

/// <summary>
/// Coerces values to a field's type and to one canonical JSON form, so the same value read from two systems
/// ("100.50" as text, 100.5 as a number) compares equal and hashes the same.
/// </summary>
public static class FieldValues
{
    /// <summary>The canonical value, or an error saying why <paramref name="value"/> is not a <paramref name="field"/>.</summary>
    public static (JsonNode? Value, string? Error) Coerce(FieldDefinition field, JsonNode? value)
    {
        if (value is null)
        {
            return (null, null);
        }

        if (field.Kind == FieldKind.List)
        {
            if (value is not JsonArray array)
            {
                return (null, "expected a list");
            }

            var items = new JsonArray();
            foreach (var item in array)
            {
                var (coerced, error) = Scalar(field.Item ?? FieldKind.String, field, item);
                if (error is not null)
                {
                    return (null, $"list item {item?.ToJsonString()}: {error}");
                }

                items.Add(coerced);
            }

            return (items, null);
        }

        return Scalar(field.Kind, field, value);
    }

    /// <summary>Whether two canonical values are equal (null and missing are the same).</summary>
    public static bool Same(JsonNode? a, JsonNode? b) => a is null ? b is null : b is not null && JsonNode.DeepEquals(a, b);

    private static (JsonNode?, string?) Scalar(FieldKind kind, FieldDefinition field, JsonNode? value)
    {
        if (value is null)
        {
            return (null, null);
        }

        if (value is not JsonValue scalar)
        {
            return (null, $"expected a single {Describe(kind)}, not {(value is JsonArray ? "a list" : "an object")}");
        }

        var text = scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : null;
        switch (kind)
        {
            case FieldKind.String:
            case FieldKind.Ref:
            {
                var s = text ?? scalar.ToJsonString();
                if (field.Normalize.Count > 0)
                {
                    s = Normalizers.Apply(field.Normalize, s);
                }

                return (JsonValue.Create(s), null);
            }

            case FieldKind.Enum:
            {
                var s = Normalizers.Apply(field.Normalize, text ?? scalar.ToJsonString());
                return field.Values.Contains(s, StringComparer.Ordinal)
                    ? (JsonValue.Create(s), null)
                    : (null, $"'{s}' is not one of {string.Join(", ", field.Values)}");
            }

            case FieldKind.Number:
                return TryDecimal(scalar, text, out var n) ? (JsonValue.Create((double)n), null) : (null, "expected a number");
            case FieldKind.Decimal:
                // Dividing by 1.000… drops trailing zeros, so 100.50 and 100.5 are one value.
                return TryDecimal(scalar, text, out var d) ? (JsonValue.Create(d / 1.000000000000000000000000000000000m), null) : (null, "expected a decimal number");
            case FieldKind.Bool:
                return scalar.GetValueKind() switch
                {
                    JsonValueKind.True => (JsonValue.Create(true), null),
                    JsonValueKind.False => (JsonValue.Create(false), null),
                    JsonValueKind.Number => (JsonValue.Create(scalar.GetValue<decimal>() != 0), null),
                    _ => text?.Trim().ToLowerInvariant() switch
                    {
                        "true" or "1" or "yes" or "y" => (JsonValue.Create(true), null),
                        "false" or "0" or "no" or "n" or "" => (JsonValue.Create(false), null),
                        _ => (null, $"'{text}' is not true or false"),
                    },
                };
            case FieldKind.Date:
                return TryInstant(scalar, text, out var date, out var dateOnly)
                    ? (JsonValue.Create((dateOnly ?? DateOnly.FromDateTime(date.UtcDateTime)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), null)
                    : (null, $"'{text ?? scalar.ToJsonString()}' is not a date (write yyyy-MM-dd)");
            case FieldKind.DateTime:
                return TryInstant(scalar, text, out var instant, out _)
                    ? (JsonValue.Create(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)), null)
                    : (null, $"'{text ?? scalar.ToJsonString()}' is not a date and time (write ISO-8601, e.g. 2026-11-23T10:30:00Z)");
            default:
                return (null, "unsupported type");
        }
    }

    private static bool TryDecimal(JsonValue scalar, string? text, out decimal value)
    {
        value = 0;
        return scalar.GetValueKind() switch
        {
            JsonValueKind.Number => decimal.TryParse(scalar.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            JsonValueKind.String => decimal.TryParse(text!.Trim().Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    private static bool TryInstant(JsonValue scalar, string? text, out DateTimeOffset value, out DateOnly? dateOnly)
    {
        dateOnly = null;
        value = default;
        if (scalar.GetValueKind() == JsonValueKind.Number && scalar.TryGetValue<long>(out var ms))
        {
            value = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        if (text is null)
        {
            return false;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            dateOnly = d;
            value = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private static string Describe(FieldKind kind) => kind.ToString().ToLowerInvariant();
}
