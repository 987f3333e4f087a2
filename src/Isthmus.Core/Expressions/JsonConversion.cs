using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Runtime;

namespace Isthmus.Expressions;

/// <summary>Converts between JavaScript values and <see cref="JsonNode"/>, the way <c>JSON.stringify</c> would.</summary>
internal static class JsonConversion
{
    // Deeper than any real payload; stops a self-referencing object instead of overflowing the stack.
    private const int MaxDepth = 64;

    // Integers beyond 2^53 are not exact in a double, so they stay doubles rather than pretend to be exact.
    private const double MaxExactInteger = 9007199254740992d;

    /// <summary>The value <c>JSON.parse</c> would make of <paramref name="node"/>'s text, built without the text.</summary>
    public static JsValue ToJs(Sandbox sandbox, JsonNode? node) => ToJs(sandbox.Engine, node, 0);

    /// <summary>A scalar as the engine would see it: a string, number or boolean; <c>null</c> for JSON null. Not for objects and arrays.</summary>
    public static JsonNode? Scalar(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.String => JsonValue.Create(StringOf(value)),
        JsonValueKind.Number => Number(NumberOf(value)),
        JsonValueKind.True => JsonValue.Create(true),
        JsonValueKind.False => JsonValue.Create(false),
        _ => null,
    };

    private static JsValue ToJs(Engine engine, JsonNode? node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new NestingTooDeepException($"the value is nested deeper than {MaxDepth} levels");
        }

        switch (node)
        {
            case null:
                return JsValue.Null;
            case JsonObject obj:
                var target = new JsObject(engine);
                foreach (var (name, item) in obj)
                {
                    // A data property of its own, as JSON.parse makes ("__proto__" included), not an assignment.
                    target.CreateDataProperty(name, ToJs(engine, item, depth + 1));
                }

                return target;
            case JsonArray array:
                var items = new JsValue[array.Count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = ToJs(engine, array[i], depth + 1);
                }

                return new JsArray(engine, items);
            default:
                var value = (JsonValue)node;
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => JsString.Create(StringOf(value)),
                    JsonValueKind.Number => JsNumber.Create(NumberOf(value)),
                    JsonValueKind.True => JsBoolean.True,
                    JsonValueKind.False => JsBoolean.False,
                    _ => JsValue.Null,
                };
        }
    }

    // A value kept as a .NET type (a date, a Guid) is a string only once written.
    private static string StringOf(JsonValue value) =>
        value.TryGetValue<string>(out var text) ? text : JsonSerializer.Deserialize<string>(value.ToJsonString())!;

    // The double nearest the number as written, as JSON.parse reads it (a decimal cast can round differently).
    private static double NumberOf(JsonValue value) =>
        value.TryGetValue<double>(out var d) ? d
        : value.TryGetValue<long>(out var l) ? l
        : value.TryGetValue<int>(out var i) ? i
        : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static JsonNode? ToJson(JsValue value) => ToJson(value, 0);

    /// <summary>The text shown for a value inside <c>{{ }}</c>: nothing for null, JSON for objects.</summary>
    public static string ToText(JsValue value) => value switch
    {
        _ when value.IsNull() || value.IsUndefined() => "",
        JsString s => s.ToString(),
        JsDate date => IsoDate(date) ?? "",
        JsNumber or JsBoolean => TypeConverter.ToString(value),
        _ => ToJson(value)?.ToJsonString() ?? "",
    };

    public static string? IsoDate(JsDate date) =>
        double.IsNaN(date.DateValue)
            ? null
            : DateTimeOffset.FromUnixTimeMilliseconds((long)date.DateValue).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static JsonNode? Number(double number)
    {
        if (!double.IsFinite(number))
        {
            return null; // as JSON.stringify does for NaN and Infinity
        }

        return Math.Floor(number) == number && Math.Abs(number) <= MaxExactInteger
            ? JsonValue.Create((long)number)
            : JsonValue.Create(number);
    }

    private static JsonNode? ToJson(JsValue value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new NestingTooDeepException($"the value is nested deeper than {MaxDepth} levels (does an object contain itself?)");
        }

        switch (value)
        {
            case JsString s:
                return JsonValue.Create(s.ToString());
            case JsNumber n:
                return Number(n.AsNumber());
            case JsBoolean b:
                return JsonValue.Create(b.AsBoolean());
            case JsDate date:
                return IsoDate(date) is { } iso ? JsonValue.Create(iso) : null;
            case JsArray array:
                var list = new JsonArray();
                for (uint i = 0; i < array.Length; i++)
                {
                    list.Add(ToJson(array.Get(i), depth + 1));
                }

                return list;
            case Function:
                return null;
            case ObjectInstance obj:
                var map = new JsonObject();
                foreach (var key in obj.GetOwnPropertyKeys(Types.String))
                {
                    var property = obj.GetOwnProperty(key);
                    var item = obj.Get(key);
                    if (property.Enumerable && !item.IsUndefined() && item is not Function)
                    {
                        map[key.ToString()] = ToJson(item, depth + 1);
                    }
                }

                return map;
            case JsBigInt big:
                return JsonValue.Create(big.ToString());
            default:
                return null; // undefined, null, symbols
        }
    }
}

/// <summary>A value too deeply nested (or cyclic) to become JSON.</summary>
internal sealed class NestingTooDeepException(string message) : Exception(message);
