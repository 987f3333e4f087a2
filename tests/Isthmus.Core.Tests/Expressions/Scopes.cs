using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

/// <summary>Builds engines, expressions and scopes for the expression tests.</summary>
internal static class Scopes
{
    public static readonly DateTimeOffset Now = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static ExpressionEngine Engine() => new(new Dictionary<string, IReadOnlyDictionary<string, string>>
    {
        ["approvalStatus"] = new Dictionary<string, string> { ["已批准"] = "approved", ["已驳回"] = "rejected" },
    });

    public static Expression Compile(this ExpressionEngine engine, string source, int line = 3, int column = 9)
    {
        var errors = new List<ConfigError>();
        var expression = engine.Compile(source, new SourceLocation("flows.yaml", line, column), errors);
        Assert.Empty(errors);
        return expression!;
    }

    public static EvaluationScope Scope(this ExpressionEngine engine, string dataJson, JsonObject? envelope = null) =>
        engine.CreateScope(new ExpressionInput(envelope ?? new JsonObject { ["type"] = "approval.updated" }, Encoding.UTF8.GetBytes(dataJson), Now));

    /// <summary>Evaluates one expression against <paramref name="dataJson"/> and returns the JSON text of the result.</summary>
    public static string Eval(string source, string dataJson = "{}")
    {
        var engine = Engine();
        using var scope = engine.Scope(dataJson);
        return scope.Evaluate(engine.Compile(source))?.ToJsonString() ?? "null";
    }

    public static ExpressionException Fails(string source, string dataJson = "{}")
    {
        var engine = Engine();
        using var scope = engine.Scope(dataJson);
        var expression = engine.Compile(source);
        return Assert.Throws<ExpressionException>(() => scope.Evaluate(expression));
    }
}
