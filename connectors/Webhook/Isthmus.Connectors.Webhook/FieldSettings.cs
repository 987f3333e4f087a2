using Isthmus.Configuration;

namespace Isthmus.Connectors.Webhook;

/// <summary>Reads a field mapping such as <c>eventId: { header: X-Event-Id }</c> or <c>key: { path: data.orderId }</c>.</summary>
internal static class FieldSettings
{
    public static FieldSource? Read(ConnectionSettings settings, string key, FieldOrigins allowed, FieldSource? defaultValue)
    {
        if (!settings.Has(key))
        {
            return defaultValue;
        }

        var section = settings.Section(key);
        if (section is null)
        {
            return null;
        }

        var header = allowed.HasFlag(FieldOrigins.Header) ? section.Text("header") : null;
        var path = section.Text("path");
        var value = allowed.HasFlag(FieldOrigins.Value) ? section.Text("value") : null;
        section.RejectUnknownKeys();

        var given = (header is null ? 0 : 1) + (path is null ? 0 : 1) + (value is null ? 0 : 1);
        if (given != 1)
        {
            section.Error(null, $"write exactly one of: {Choices(allowed)}");
            return null;
        }

        if (header is { Length: 0 } || value is { Length: 0 })
        {
            section.Error(header is not null ? "header" : "value", "must not be empty");
            return null;
        }

        if (path is null)
        {
            return new FieldSource(header, null, value);
        }

        var parsed = JsonPath.TryParse(path);
        if (parsed is null)
        {
            section.Error("path", $"'{path}' is not a dotted JSON path; write e.g. id or data.orderId");
        }

        return parsed is null ? null : new FieldSource(null, parsed, null);
    }

    private static string Choices(FieldOrigins allowed) => string.Join(", ",
        new[] { (FieldOrigins.Header, "header"), (FieldOrigins.Path, "path"), (FieldOrigins.Value, "value") }
            .Where(c => allowed.HasFlag(c.Item1)).Select(c => c.Item2));
}
