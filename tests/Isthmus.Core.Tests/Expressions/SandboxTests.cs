using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

public class SandboxTests
{
    [Theory]
    [InlineData("(() => { for (;;) {} })()", "a loop that never ends?")]
    [InlineData("(() => { let s = ''; while (true) { s += 'xxxxxxxxxx'; } })()", "")]
    [InlineData("(function f(n) { return f(n + 1); })(0)", "deeper than 64")]
    [InlineData("'x'.repeat(1e7) + 'y'.repeat(1e7)", "MB")]
    public void Evaluate_RunawayExpression_StopsWithExpressionException(string source, string reason)
    {
        // Warm the engine first: on a loaded machine the first evaluation's JIT could hit the time limit
        // before the limit under test.
        var engine = Scopes.Engine();
        using var scope = engine.Scope("{}");
        scope.Evaluate(engine.Compile("[1, 2].map(x => (function f(n) { return n && f(n - 1); })(x)).concat('a'.repeat(3))"));
        var expression = engine.Compile(source);
        var error = Assert.Throws<ExpressionException>(() => scope.Evaluate(expression));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("expression `", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("importNamespace('System')")]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd')")]
    [InlineData("require('fs')")]
    [InlineData("fetch('http://127.0.0.1/')")]
    [InlineData("new XMLHttpRequest()")]
    [InlineData("host.type('System.IO.File')")]
    public void Evaluate_HostAccess_IsNotDefined(string source) =>
        Assert.Contains("is not defined", Scopes.Fails(source).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("eval('1 + 1')")]
    [InlineData("new Function('return 1')()")]
    [InlineData("(() => 0).constructor('return 1')()")]
    [InlineData("[]['constr' + 'uctor']['constr' + 'uctor']('return data')()")]
    public void Evaluate_CodeFromAString_IsRefused(string source) => Scopes.Fails(source);

    [Fact]
    public void Evaluate_CodeFromAString_SaysWhy() =>
        Assert.Contains("failed: it makes code from a string (eval, new Function, a function's constructor), which expressions may not do",
            Scopes.Fails("(() => 0).constructor('return rec' + 'ord')()").Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("globalThis.leak = 1")]
    [InlineData("Math.max = null")]
    [InlineData("Array.prototype.leak = 1")]
    [InlineData("lookup = null")]
    public void Evaluate_ChangeToSharedGlobals_IsRefused(string source) => Scopes.Fails(source);

    [Theory]
    [InlineData("({ get x() { for (;;) {} } })")]
    [InlineData("new Proxy({}, { ownKeys() { throw new Error('no keys'); } })")]
    public void Evaluate_ResultThatRunsScriptWhenRead_FailsAsExpressionException(string source) => Scopes.Fails(source);

    [Fact]
    public void Evaluate_AfterALimitFired_NextScopeStillWorks()
    {
        var engine = Scopes.Engine();
        var loop = engine.Compile("(() => { for (;;) {} })()");
        var sum = engine.Compile("data.a + 1");
        using (var scope = engine.Scope("""{"a":1}"""))
        {
            Assert.Throws<ExpressionException>(() => scope.Evaluate(loop));
        }

        using var next = engine.Scope("""{"a":1}""");
        Assert.Equal("2", next.Evaluate(sum)!.ToJsonString());
    }

    [Fact]
    public void Evaluate_ManyCallsInOneScope_DoNotAccumulateTowardsTheStatementLimit()
    {
        var engine = Scopes.Engine();
        var expression = engine.Compile("[1, 2, 3].map(x => x * 2).length");
        using var scope = engine.Scope("{}");
        for (var i = 0; i < 20_000; i++)
        {
            Assert.Equal(3, scope.Evaluate(expression)!.GetValue<long>());
        }
    }

    [Fact]
    public void Evaluate_RuntimeError_NamesExpressionAndLocation()
    {
        var engine = Scopes.Engine();
        var expression = engine.Compile("data.x.y", line: 12, column: 15);
        using var scope = engine.Scope("{}");
        var error = Assert.Throws<ExpressionException>(() => scope.Evaluate(expression));
        Assert.Equal("expression `data.x.y` at flows.yaml:12:15 failed: Cannot read properties of undefined (reading 'y')", error.Message);
        Assert.Equal("data.x.y", error.ExpressionText);
        Assert.Equal(12, error.Location.Line);
    }
}
