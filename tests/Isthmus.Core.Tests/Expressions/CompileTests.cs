using Isthmus.Configuration;
using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

public class CompileTests
{
    private static (Expression? Expression, List<ConfigError> Errors) Compile(string source, string? path = "flows.x.when")
    {
        var errors = new List<ConfigError>();
        var expression = Scopes.Engine().Compile(source, new SourceLocation("flows.yaml", 7, 11), errors, path);
        return (expression, errors);
    }

    [Fact]
    public void Compile_IncompleteExpression_ReportsColumnInsideTheFile()
    {
        var (expression, errors) = Compile("data.amount >");
        Assert.Null(expression);
        var error = Assert.Single(errors);
        Assert.Equal("flows.yaml:7:24: flows.x.when: expression \"data.amount >\" is incomplete: Unexpected end of input (column 14)", error.ToString());
    }

    [Fact]
    public void Compile_UnexpectedToken_PointsAtTheToken()
    {
        var (_, errors) = Compile("data.amount > > 3");
        var error = Assert.Single(errors);
        Assert.Equal(new SourceLocation("flows.yaml", 7, 25), error.Location);
        Assert.Contains("is not valid: Unexpected token '>' (column 15)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_ErrorOnSecondLine_ReportsTheLine()
    {
        var (_, errors) = Compile("data.a &&\n  data.b ==");
        var error = Assert.Single(errors);
        Assert.Equal(8, error.Location.Line);
        Assert.Contains("(line 2, column", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("var x = 1")]
    [InlineData("data.a; data.b")]
    [InlineData("if (data.a) data.b")]
    public void Compile_Statement_IsRefused(string source) =>
        Assert.Contains("must be a single expression", Assert.Single(Compile(source).Errors).Message, StringComparison.Ordinal);

    [Fact]
    public void Compile_Empty_IsRefused() =>
        Assert.Contains("the expression is empty", Assert.Single(Compile("  ").Errors).Message, StringComparison.Ordinal);

    [Fact]
    public void Compile_StrictModeViolation_IsASyntaxError() =>
        Assert.Single(Compile("(function () { with (data) { return a; } })()").Errors);

    [Fact]
    public void Compile_WithoutPath_MessageHasNoPrefix() =>
        Assert.StartsWith("expression \"1 +\"", Assert.Single(Compile("1 +", path: null).Errors).Message, StringComparison.Ordinal);
}
