using System.Globalization;
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

    public static JsValue ToJs(Sandbox sandbox, JsonNode? node) =>
        node is null ? JsValue.Null : sandbox.Json.Parse(node.ToJsonString());

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
