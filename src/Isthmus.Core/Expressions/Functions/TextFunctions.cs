using Jint;
using Jint.Native;
using static Isthmus.Expressions.Functions.BuiltIn;

namespace Isthmus.Expressions.Functions;

/// <summary>
/// <c>contains</c>, <c>startsWith</c>, <c>endsWith</c>, <c>upper</c>, <c>lower</c>, <c>trim</c>. Unlike the string
/// methods they accept null (a field the sender left out) instead of failing: text functions return null, tests false.
/// </summary>
internal static class TextFunctions
{
    public static void Install(Sandbox sandbox)
    {
        var engine = sandbox.Engine;
        Define(engine, "contains", 2, args => Contains(args.Arg(0), args.Arg(1)) ? JsBoolean.True : JsBoolean.False);
        Define(engine, "startsWith", 2, args => Test(args, static (text, part) => text.StartsWith(part, StringComparison.Ordinal)));
        Define(engine, "endsWith", 2, args => Test(args, static (text, part) => text.EndsWith(part, StringComparison.Ordinal)));
        Define(engine, "upper", 1, args => Map(args, static text => text.ToUpperInvariant()));
        Define(engine, "lower", 1, args => Map(args, static text => text.ToLowerInvariant()));
        Define(engine, "trim", 1, args => Map(args, static text => text.Trim()));
    }

    private static bool Contains(JsValue haystack, JsValue needle)
    {
        if (haystack is JsArray array)
        {
            for (uint i = 0; i < array.Length; i++)
            {
                if (array.Get(i).Equals(needle))
                {
                    return true;
                }
            }

            return false;
        }

        return !haystack.IsMissing() && Text(haystack).Contains(Text(needle), StringComparison.Ordinal);
    }

    private static JsBoolean Test(JsValue[] args, Func<string, string, bool> test) =>
        !args.Arg(0).IsMissing() && test(Text(args.Arg(0)), Text(args.Arg(1))) ? JsBoolean.True : JsBoolean.False;

    private static JsValue Map(JsValue[] args, Func<string, string> map) =>
        args.Arg(0).IsMissing() ? JsValue.Null : new JsString(map(Text(args.Arg(0))));
}
