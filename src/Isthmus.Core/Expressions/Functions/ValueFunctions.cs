using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Runtime;
using static Isthmus.Expressions.Functions.BuiltIn;

namespace Isthmus.Expressions.Functions;

/// <summary><c>coalesce</c>, <c>isEmpty</c>, <c>toNumber</c>, <c>toString</c>, <c>json</c>, <c>round</c>, <c>formatNumber</c>.</summary>
internal static class ValueFunctions
{
    public static void Install(Sandbox sandbox)
    {
        var engine = sandbox.Engine;
        Define(engine, "coalesce", 0, args =>
        {
            foreach (var value in args)
            {
                if (!value.IsMissing() && !(value is JsString s && s.Length == 0))
                {
                    return value;
                }
            }

            return JsValue.Null;
        });

        Define(engine, "isEmpty", 1, args => IsEmpty(args.Arg(0)) ? JsBoolean.True : JsBoolean.False);
        Define(engine, "toNumber", 1, args => ToNumber(sandbox, args.Arg(0)));
        Define(engine, "toString", 1, args => new JsString(JsonConversion.ToText(args.Arg(0))));
        Define(engine, "json", 1, args => new JsString(JsonConversion.ToJson(args.Arg(0))?.ToJsonString() ?? "null"));

        // Decimal arithmetic, so round(2.675, 2) is 2.68 as a person expects, not 2.67 as binary doubles give.
        Define(engine, "round", 2, args =>
        {
            var decimals = WholeNumber(engine, "round", args.Arg(1), 0);
            return JsNumber.Create((double)Math.Round(ToDecimal(sandbox, "round", args.Arg(0)), decimals, MidpointRounding.AwayFromZero));
        });

        Define(engine, "formatNumber", 2, args =>
        {
            var decimals = WholeNumber(engine, "formatNumber", args.Arg(1), 0);
            var value = Math.Round(ToDecimal(sandbox, "formatNumber", args.Arg(0)), decimals, MidpointRounding.AwayFromZero);
            return new JsString(value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        });
    }

    private static bool IsEmpty(JsValue value) => value switch
    {
        _ when value.IsMissing() => true,
        JsString s => string.IsNullOrWhiteSpace(s.ToString()),
        JsArray a => a.Length == 0,
        JsDate => false,
        Jint.Native.Object.ObjectInstance o and not Jint.Native.Function.Function => o.GetOwnPropertyKeys(Types.String).Count == 0,
        _ => false,
    };

    private static JsValue ToNumber(Sandbox sandbox, JsValue value)
    {
        switch (value)
        {
            case JsNumber:
                return value;
            case JsBoolean b:
                return JsNumber.Create(b.AsBoolean() ? 1 : 0);
            case JsString s when double.TryParse(s.ToString().Trim(), NumberStyles.Float | NumberStyles.AllowThousands,
                                                 CultureInfo.InvariantCulture, out var number):
                return JsNumber.Create(number);
            case var _ when value.IsMissing():
                return JsValue.Null;
            default:
                throw Error(sandbox.Engine, $"toNumber: '{Text(value)}' is not a number");
        }
    }

    private static decimal ToDecimal(Sandbox sandbox, string function, JsValue value)
    {
        var number = ToNumber(sandbox, value);
        var d = number.IsNull() ? double.NaN : TypeConverter.ToNumber(number);
        if (!double.IsFinite(d) || Math.Abs(d) > 7.9e27)
        {
            throw Error(sandbox.Engine, $"{function}: '{Text(value)}' is not a number");
        }

        return (decimal)d;
    }
}
