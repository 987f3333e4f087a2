using Jint;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace Isthmus.Expressions.Functions;

/// <summary>What every built-in function needs: registration, argument access and errors that read well.</summary>
internal static class BuiltIn
{
    public static void Define(Engine engine, string name, int length, Func<JsValue[], JsValue> body) =>
        engine.SetValue(name, new ClrFunction(engine, name, (_, args) => body(args), length, PropertyFlag.Configurable));

    public static JsValue Arg(this JsValue[] args, int index) => index < args.Length ? args[index] : JsValue.Undefined;

    public static bool IsMissing(this JsValue value) => value.IsNull() || value.IsUndefined();

    /// <summary>A JavaScript <c>Error</c>, so the expression's failure names the function and the bad value.</summary>
    public static JavaScriptException Error(Engine engine, string message) => new(engine.Intrinsics.Error, message);

    /// <summary>Text for a function argument: strings as is, other values as JavaScript would show them.</summary>
    public static string Text(JsValue value) => value switch
    {
        JsString s => s.ToString(),
        JsDate date => JsonConversion.IsoDate(date) ?? "",
        _ when value.IsMissing() => "",
        _ => TypeConverter.ToString(value),
    };

    public static int WholeNumber(Engine engine, string function, JsValue value, int defaultValue)
    {
        if (value.IsMissing())
        {
            return defaultValue;
        }

        var number = TypeConverter.ToNumber(value);
        if (double.IsNaN(number) || Math.Floor(number) != number || number < 0 || number > 15)
        {
            throw Error(engine, $"{function}: decimals must be a whole number from 0 to 15, not {Text(value)}");
        }

        return (int)number;
    }
}
