using System.Text.Json.Nodes;
using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

public class EvaluationScopeTests
{
    private const string Order = """{"orderId":"SO-1","amount":120000,"customer":{"credit":"A","tags":["vip","north"]},"lines":[{"qty":2,"price":1.25}]}""";

    [Theory]
    [InlineData("data.amount > 100000 && data.customer.credit == 'A'", true)]
    [InlineData("data.amount > 100000 && data.customer.credit == 'B'", false)]
    [InlineData("data.amount < 1000 || data.customer.tags.includes('vip')", true)]
    [InlineData("!(data.lines[0].qty * data.lines[0].price === 2.5)", false)]
    [InlineData("data.missing", false)]
    [InlineData("data.customer.tags.length", true)]
    [InlineData("''", false)]
    public void Test_ConditionOnNestedData_UsesJavaScriptTruthiness(string source, bool expected)
    {
        var engine = Scopes.Engine();
        using var scope = engine.Scope(Order);
        Assert.Equal(expected, scope.Test(engine.Compile(source)));
    }

    [Theory]
    [InlineData("data.amount * 100", "12000000")]
    [InlineData("data.amount / 3", "40000")]
    [InlineData("data.lines[0].price * 3", "3.75")]
    [InlineData("data.orderId + '-x'", "\"SO-1-x\"")]
    [InlineData("data.customer", """{"credit":"A","tags":["vip","north"]}""")]
    [InlineData("data.nothing", "null")]
    [InlineData("[1, undefined, () => 1]", "[1,null,null]")]
    [InlineData("({ a: 1, b: undefined })", """{"a":1}""")]
    [InlineData("new Date(0)", "\"1970-01-01T00:00:00.000Z\"")]
    [InlineData("1 / 0", "null")]
    public void Evaluate_Value_BecomesJson(string source, string expectedJson) =>
        Assert.Equal(expectedJson, Scopes.Eval(source, Order));

    [Fact]
    public void Evaluate_IntegralNumber_IsWrittenWithoutFraction()
    {
        var engine = Scopes.Engine();
        using var scope = engine.Scope("""{"n":41}""");
        var value = scope.Evaluate(engine.Compile("data.n + 1"));
        Assert.Equal("42", value!.ToJsonString());
        Assert.Equal(42L, value.GetValue<long>());
    }

    [Fact]
    public void Evaluate_StepsVarsPreviousAndEvent_AreVisible()
    {
        var engine = Scopes.Engine();
        using var scope = engine.Scope(Order, new JsonObject { ["type"] = "approval.updated", ["key"] = "SO-1" });
        scope.SetStepOutput("order", new JsonObject { ["id"] = "SO-1", ["total"] = 5 });
        scope.SetPrevious(JsonValue.Create("pending"));
        var result = scope.Evaluate(engine.Compile("[steps.order.total + vars.order.total, previous, event.type, event.key]"));
        Assert.Equal("""[10,"pending","approval.updated","SO-1"]""", result!.ToJsonString());
    }

    [Fact]
    public void CreateScope_AfterAnEarlierScopeChangedGlobals_StartsClean()
    {
        var engine = Scopes.Engine();
        using (var first = engine.Scope("""{"a":1}"""))
        {
            first.SetStepOutput("x", JsonValue.Create(1));
            first.Evaluate(engine.Compile("data.a = 99"));
        }

        using var second = engine.Scope("""{"a":2}""");
        Assert.Equal("[2,null]", second.Evaluate(engine.Compile("[data.a, steps.x ?? null]"))!.ToJsonString());
    }

    [Fact]
    public void Evaluate_AfterDispose_Throws()
    {
        var engine = Scopes.Engine();
        var expression = engine.Compile("1");
        var scope = engine.Scope("{}");
        scope.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scope.Evaluate(expression));
    }

    [Fact]
    public void CreateScope_InvalidJsonData_ThrowsExpressionException()
    {
        var engine = Scopes.Engine();
        Assert.Throws<ExpressionException>(() => engine.Scope("{not json"));
    }
}
