using System.Text.Json.Nodes;
using FsCheck.Xunit;
using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

/// <summary>
/// Variables (<c>value</c>, <c>record</c>, <c>entity</c>, <c>previous</c>) are built for the engine directly from their JSON, only
/// when an expression may read them, and a bare path on one is read without the engine: each must look exactly as
/// <c>JSON.parse</c> of the same text would.
/// </summary>
public class VariableTests
{
    private static readonly string[] Keys = ["a", "b", "1", "0", "10", "__proto__", "constructor", "toString", "length", "名", "x y"];

    [Property(MaxTest = 150)]
    public void A_variable_is_what_JSON_parse_makes_of_its_text(int seed)
    {
        var random = new Random(seed);
        var tree = Tree(random, 0);
        var engine = Scopes.Engine();
        using var scope = engine.Scope("{}");
        scope.SetVariable("record", tree);
        scope.SetVariable("value", JsonValue.Create(tree?.ToJsonString() ?? "null"));
        var built = scope.Evaluate(engine.Compile("[JSON.stringify(record), typeof record, Array.isArray(record), record === null ? 0 : Object.getPrototypeOf(record) === (Array.isArray(record) ? Array.prototype : Object.prototype)]"));
        var parsed = scope.Evaluate(engine.Compile("(p => [JSON.stringify(p), typeof p, Array.isArray(p), p === null ? 0 : Object.getPrototypeOf(p) === (Array.isArray(p) ? Array.prototype : Object.prototype)])(JSON.parse(value))"));
        Assert.Equal(parsed!.ToJsonString(), built!.ToJsonString());
    }

    [Property(MaxTest = 300)]
    public void A_path_read_without_the_engine_gives_what_the_engine_gives(int seed)
    {
        var random = new Random(seed);
        var tree = random.Next(4) == 0 ? Tree(random, 0) : Object(random, 0);
        var path = "entity." + string.Join(".", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Keys[random.Next(Keys.Length)] switch
        {
            "1" or "0" or "10" or "名" or "x y" => "a",
            var key => key,
        }));
        path = path.TrimEnd('.');
        var engine = Scopes.Engine();
        var (direct, directError) = Evaluate(engine, tree, path);
        var (viaEngine, engineError) = Evaluate(engine, tree, $"{path} ?? null");
        Assert.Equal(engineError is null, directError is null);
        Assert.Equal(viaEngine?.ToJsonString() ?? "null", direct?.ToJsonString() ?? "null");
    }

    [Fact]
    public void A_path_read_without_the_engine_keeps_the_engines_number_and_text_forms()
    {
        var engine = Scopes.Engine();
        var entity = new JsonObject { ["price"] = 12.50m, ["big"] = 9007199254740993L, ["count"] = 3, ["when"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), ["ok"] = true };
        using var scope = engine.Scope("{}");
        scope.SetVariable("entity", entity);
        Assert.Equal("12.5", scope.Evaluate(engine.Compile("entity.price"))!.ToJsonString());
        Assert.Equal("9007199254740992", scope.Evaluate(engine.Compile("entity.big"))!.ToJsonString());
        Assert.Equal(3L, scope.Evaluate(engine.Compile("entity.count"))!.GetValue<long>());
        Assert.Equal("\"2026-01-02T03:04:05Z\"", scope.Evaluate(engine.Compile("entity.when"))!.ToJsonString());
        Assert.Equal("true", scope.Evaluate(engine.Compile("entity.ok"))!.ToJsonString());
    }

    [Fact]
    public void A_change_made_by_one_expression_is_seen_by_the_next_even_on_a_path()
    {
        var engine = Scopes.Engine();
        using var scope = engine.Scope("{}");
        scope.SetVariable("entity", new JsonObject { ["code"] = "c1" });
        Assert.Equal("\"C1\"", scope.Evaluate(engine.Compile("entity.code = entity.code.toUpperCase()"))!.ToJsonString());
        Assert.Equal("\"C1\"", scope.Evaluate(engine.Compile("entity.code"))!.ToJsonString());
        scope.SetVariable("entity", new JsonObject { ["code"] = "c2" });
        Assert.Equal("\"c2\"", scope.Evaluate(engine.Compile("entity.code"))!.ToJsonString());
    }

    [Fact]
    public void A_variable_no_expression_reads_is_never_built()
    {
        // Nested deeper than a variable may be: building it fails, so only an expression that reads it may.
        JsonNode deep = new JsonObject();
        for (var i = 0; i < 80; i++)
        {
            deep = new JsonObject { ["x"] = deep };
        }

        var engine = Scopes.Engine();
        using var scope = engine.Scope("{}");
        scope.SetVariable("record", deep);
        scope.SetVariable("value", JsonValue.Create(41));
        Assert.Equal("42", scope.Evaluate(engine.Compile("value + 1"))!.ToJsonString());
        Assert.Contains("nested deeper", Assert.Throws<ExpressionException>(() => scope.Evaluate(engine.Compile("record.x"))).Message, StringComparison.Ordinal);
        Assert.Contains("nested deeper", Assert.Throws<ExpressionException>(() => scope.Evaluate(engine.Compile("globalThis.value"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variable_set_again_is_seen_anew()
    {
        var engine = Scopes.Engine();
        using var scope = engine.Scope("{}");
        var twice = engine.Compile("value * 2");
        scope.SetVariable("value", JsonValue.Create(1));
        Assert.Equal("2", scope.Evaluate(twice)!.ToJsonString());
        scope.SetVariable("value", JsonValue.Create(5));
        Assert.Equal("10", scope.Evaluate(twice)!.ToJsonString());
        Assert.Equal("5", scope.Evaluate(engine.Compile("value"))!.ToJsonString());
    }

    private static (JsonNode? Value, ExpressionException? Error) Evaluate(ExpressionEngine engine, JsonNode? entity, string source)
    {
        using var scope = engine.Scope("{}");
        scope.SetVariable("entity", entity?.DeepClone());
        try
        {
            return (scope.Evaluate(engine.Compile(source)), null);
        }
        catch (ExpressionException e)
        {
            return (null, e);
        }
    }

    private static JsonNode? Tree(Random random, int depth) => random.Next(depth >= 3 ? 6 : 9) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(random.Next(-1000, 1000)),
        3 => random.Next(3) switch { 0 => JsonValue.Create(12.50m), 1 => JsonValue.Create(9007199254740993L), _ => JsonValue.Create(0.1 * random.Next(100)) },
        4 => JsonValue.Create(random.Next(3) switch { 0 => "text \"quoted\" \\ /", 1 => "名前 😀", _ => "" }),
        5 => JsonNode.Parse(random.Next(2) == 0 ? "12.50" : "\"parsed\""),
        6 => Object(random, depth),
        7 => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => Tree(random, depth + 1)).ToArray()),
        _ => JsonNode.Parse(Object(random, depth).ToJsonString()),
    };

    private static JsonObject Object(Random random, int depth)
    {
        var obj = new JsonObject();
        for (var i = random.Next(5); i > 0; i--)
        {
            obj[Keys[random.Next(Keys.Length)]] = Tree(random, depth + 1);
        }

        return obj;
    }
}
