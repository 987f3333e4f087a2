using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.Http.Records;

/// <summary>Reads records out of a REST system's JSON answers, as one record type's settings describe them.</summary>
internal static class RecordJson
{
    /// <summary>The answer's JSON; a body that is not JSON is a <see cref="FormatException"/>.</summary>
    public static JsonNode? Parse(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the answer is not JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})", ex);
        }
    }

    /// <summary>The node at a dotted path (<c>data.list</c>); an empty path is the node itself.</summary>
    public static JsonNode? At(JsonNode? node, string path)
    {
        if (path.Length == 0 || path == ".")
        {
            return node;
        }

        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node;
    }

    /// <summary>A scalar as text: strings as they are, numbers and booleans as written; <c>null</c> for anything else.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => null,
        }
        : null;

    /// <summary>One item as a <see cref="SourceRecord"/>; <paramref name="etag"/> stands in for a missing version field.</summary>
    /// <param name="detached">The node belongs to no parent and may be kept as is; otherwise it is copied.</param>
    public static SourceRecord Record(JsonNode? node, RecordTypeSettings type, string? etag = null, bool detached = false)
    {
        if (node is not JsonObject item)
        {
            throw new FormatException($"a {type.Name} record must be a JSON object, not {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}");
        }

        var id = Text(item[type.Id]);
        if (string.IsNullOrEmpty(id))
        {
            throw new FormatException($"a {type.Name} record has no id in field '{type.Id}'");
        }

        var version = Text(item[type.Version]) ?? EntityTag(etag);
        var deleted = item[type.Deleted] is JsonValue d && (d.GetValueKind() == JsonValueKind.True
            || (d.GetValueKind() == JsonValueKind.String && string.Equals(d.GetValue<string>(), "true", StringComparison.OrdinalIgnoreCase)));
        var fields = detached ? item : (JsonObject)item.DeepClone();
        return new SourceRecord(id, fields, version, Time(Text(item[type.UpdatedAt])), deleted);
    }

    /// <summary>An ISO-8601 time, or unix time in seconds (or milliseconds above 10^12).</summary>
    public static DateTimeOffset? Time(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            return unix > 1_000_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(unix) : DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }

    /// <summary><c>"3"</c> → <c>3</c>; <c>W/"x"</c> → <c>x</c>.</summary>
    private static string? EntityTag(string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return null;
        }

        var text = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        return text.Trim('"');
    }

    /// <summary>The <c>If-Match</c> value for a version: quoted, unless it already is an entity tag.</summary>
    public static string IfMatch(string version) =>
        version.StartsWith('"') || version.StartsWith("W/", StringComparison.Ordinal) ? version : $"\"{version}\"";
}
