using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Isthmus.Connectors.Webhook;

/// <summary>
/// Turns a verified JSON body into events: one object is one event, an array of objects is a batch that is
/// accepted or refused as a whole. The body is parsed once, in place; event data is a slice of the body, not a copy.
/// </summary>
internal sealed class EventReader(FieldSource id, FieldSource type, FieldSource? key, string? entity, FieldSource? time, JsonPath? data)
{
    public EventDraft[] Read(InboundRequest request)
    {
        using var document = Parse(request.Body);
        var root = document.RootElement;
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                return [ReadEvent(root, request, batchIndex: null)];
            case JsonValueKind.Array:
                var events = new EventDraft[root.GetArrayLength()];
                var index = 0;
                foreach (var item in root.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object)
                    {
                        throw Malformed($"event [{index}]: must be a JSON object, not {Describe(item.ValueKind)}");
                    }

                    events[index] = ReadEvent(item, request, index);
                    index++;
                }

                return events;
            default:
                throw Malformed($"body must be a JSON object (one event) or an array of objects (a batch), not {Describe(root.ValueKind)}");
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            throw Malformed("body is empty; send a JSON object (one event) or an array of objects (a batch)");
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            // JsonException counts from zero; people and editors count from one.
            var reason = ex.Message;
            var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            reason = (cut > 0 ? reason[..cut] : reason).Replace(" Path: $ |", "", StringComparison.Ordinal).Trim();
            throw Malformed($"malformed JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {reason}");
        }
    }

    private EventDraft ReadEvent(JsonElement element, InboundRequest request, int? batchIndex)
    {
        var eventId = Scalar(element, request, id, "event id", batchIndex);
        if (id.Header is not null && batchIndex is { } i)
        {
            // One header names the whole batch; the position keeps each event's id (and dedup key) distinct.
            eventId = $"{eventId}#{i}";
        }

        return new EventDraft(
            eventId,
            Scalar(element, request, type, "event type", batchIndex),
            key is null ? null : Scalar(element, request, key, "event key", batchIndex),
            entity,
            Subject: null,
            time is null ? null : Time(element, request, time, batchIndex),
            Data(element, request.Body, batchIndex));
    }

    private static string Scalar(JsonElement element, InboundRequest request, FieldSource source, string what, int? batchIndex)
    {
        if (source.Value is not null)
        {
            return source.Value;
        }

        if (source.Header is not null)
        {
            return request.Headers.TryGetValue(source.Header, out var fromHeader) && !string.IsNullOrWhiteSpace(fromHeader)
                ? fromHeader.Trim()
                : throw Malformed(Prefix(batchIndex) + $"{what} not found in header {source.Header}");
        }

        if (!source.Path!.TryFind(element, out var value))
        {
            throw Malformed(Prefix(batchIndex) + $"{what} not found at JSON path '{source.Path}'");
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            // Numbers keep their exact text: 12345678901234567890 must not become 1.2345678901234567E+19.
            JsonValueKind.Number => Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(value)),
            _ => throw Malformed(Prefix(batchIndex) + $"{what} at JSON path '{source.Path}' must be a string or number, not {Describe(value.ValueKind)}"),
        };
        return string.IsNullOrWhiteSpace(text)
            ? throw Malformed(Prefix(batchIndex) + $"{what} at JSON path '{source.Path}' is empty")
            : text;
    }

    private static DateTimeOffset? Time(JsonElement element, InboundRequest request, FieldSource source, int? batchIndex)
    {
        // An event without its own time is stamped by the host on arrival.
        if (source.Header is not null)
        {
            if (!request.Headers.TryGetValue(source.Header, out var header) || string.IsNullOrWhiteSpace(header))
            {
                return null;
            }

            return DateTimeOffset.TryParse(header.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var fromHeader)
                ? fromHeader
                : throw BadTime(source, batchIndex, $"'{header}'");
        }

        if (!source.Path!.TryFind(element, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var parsed)
            ? parsed
            : throw BadTime(source, batchIndex, value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : Describe(value.ValueKind));
    }

    private static InboundRejectedException BadTime(FieldSource source, int? batchIndex, string found) =>
        Malformed(Prefix(batchIndex) + $"event time at {source.Describe()} is not an ISO-8601 time: {found}");

    private ReadOnlyMemory<byte> Data(JsonElement element, ReadOnlyMemory<byte> body, int? batchIndex)
    {
        var part = element;
        if (data is not null && !data.TryFind(element, out part))
        {
            throw Malformed(Prefix(batchIndex) + $"event data not found at JSON path '{data}'");
        }

        // The document was parsed over the body itself, so the element's raw bytes lie inside it: slice, don't copy.
        var raw = JsonMarshal.GetRawUtf8Value(part);
        return body.Span.Overlaps(raw, out var offset) && offset >= 0 ? body.Slice(offset, raw.Length) : raw.ToArray();
    }

    private static string Prefix(int? batchIndex) => batchIndex is { } i ? $"event [{i}]: " : "";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);
}
