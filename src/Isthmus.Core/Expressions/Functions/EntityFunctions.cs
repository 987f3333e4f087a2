using Jint.Native;
using static Isthmus.Expressions.Functions.BuiltIn;

namespace Isthmus.Expressions.Functions;

/// <summary>
/// <c>findEntity(entity, field, value)</c> and <c>linkedEntity(entity, connection, recordId)</c>: read-only lookups of
/// the unified model, so a flow finds, say, the project of a chat group or the group of an OA project through the
/// sync engine's entities and links. Available where an <see cref="IEntityLookup"/> is given (flows), not in mappings.
/// </summary>
internal static class EntityFunctions
{
    public static void Install(Sandbox sandbox)
    {
        var engine = sandbox.Engine;
        Define(engine, "findEntity", 3, args =>
        {
            var lookup = Lookup(sandbox, "findEntity");
            var (entity, field) = (Name(sandbox, "findEntity", "entity", args.Arg(0)), Name(sandbox, "findEntity", "field", args.Arg(1)));
            var value = args.Arg(2);
            return value.IsMissing() ? JsValue.Null : Answer(sandbox, "findEntity", () => lookup.Find(entity, field, JsonConversion.ToJson(value)));
        });
        Define(engine, "linkedEntity", 3, args =>
        {
            var lookup = Lookup(sandbox, "linkedEntity");
            var (entity, connection) = (Name(sandbox, "linkedEntity", "entity", args.Arg(0)), Name(sandbox, "linkedEntity", "connection", args.Arg(1)));
            var recordId = args.Arg(2);
            return recordId.IsMissing() ? JsValue.Null : Answer(sandbox, "linkedEntity", () => lookup.FindLinked(entity, connection, Text(recordId)));
        });
    }

    private static IEntityLookup Lookup(Sandbox sandbox, string function) => sandbox.Entities
        ?? throw Error(sandbox.Engine, $"{function}() reads the model's entities and works in flows only (when:, onlyOnChange:, steps), not in mappings, rules or changes:");

    private static string Name(Sandbox sandbox, string function, string what, JsValue value) =>
        value is JsString s && s.ToString() is { Length: > 0 } text
            ? text
            : throw Error(sandbox.Engine, $"{function}: the {what} must be a name written as text, such as '{(what == "entity" ? "Project" : what == "field" ? "chatGroup" : "oa")}'; got {(value.IsMissing() ? "null" : Text(value))}");

    private static JsValue Answer(Sandbox sandbox, string function, Func<System.Text.Json.Nodes.JsonObject?> find)
    {
        try
        {
            return find() is { } found ? JsonConversion.ToJs(sandbox, found) : JsValue.Null;
        }
        catch (EntityLookupException e)
        {
            throw Error(sandbox.Engine, $"{function}: {e.Message}");
        }
    }
}
