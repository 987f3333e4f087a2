using Jint;
using Jint.Native;
using static Isthmus.Expressions.Functions.BuiltIn;

namespace Isthmus.Expressions.Functions;

/// <summary><c>lookup(table, code, fallback?)</c> over the configuration's <c>codeTables</c>.</summary>
internal static class LookupFunctions
{
    public static void Install(Sandbox sandbox, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
    {
        var engine = sandbox.Engine;
        Define(engine, "lookup", 3, args =>
        {
            var name = Text(args.Arg(0));
            if (!codeTables.TryGetValue(name, out var table))
            {
                var known = codeTables.Count == 0 ? "none are declared" : "declared: " + string.Join(", ", codeTables.Keys);
                throw Error(engine, $"lookup: there is no code table '{name}' ({known})");
            }

            var code = Text(args.Arg(1));
            if (table.TryGetValue(code, out var value))
            {
                return new JsString(value);
            }

            // An explicit fallback, even null, means "unknown codes are expected"; without one they are a mistake.
            return args.Length >= 3 ? args[2] : throw Error(engine, $"lookup: code '{code}' is not in code table '{name}'");
        });
    }
}
