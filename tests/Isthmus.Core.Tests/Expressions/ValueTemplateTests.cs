using Isthmus.Configuration;
using Isthmus.Expressions;

namespace Isthmus.Tests.Expressions;

public class ValueTemplateTests
{
    private static SourceLocation At(int line, int column) => new("flows.yaml", line, column);

    private static SettingScalar Plain(string? value, int column = 11) => new(value, At(5, column));

    private static SettingScalar Quoted(string value, int column = 11) => new(value, At(5, column), Quoted: true);

    private static string Render(SettingNode node, string data = """{"orderId":"SO-1","amount":12.5,"customer":{"name":"Ada"}}""")
    {
        var engine = Scopes.Engine();
        var errors = new List<ConfigError>();
        var template = engine.CompileValue(node, errors);
        Assert.Empty(errors);
        using var scope = engine.Scope(data);
        return scope.Render(template!)?.ToJsonString() ?? "null";
    }

    [Theory]
    [InlineData("=data.amount * 100", "1250")]
    [InlineData("=data.customer", """{"name":"Ada"}""")]
    [InlineData("= data.orderId", "\"SO-1\"")]
    [InlineData("==data.amount", "\"=data.amount\"")]
    [InlineData("Order {{ data.orderId }} for {{data.customer.name}}", "\"Order SO-1 for Ada\"")]
    [InlineData("{{ data.customer }}", "\"{\\u0022name\\u0022:\\u0022Ada\\u0022}\"")]
    [InlineData("[{{ data.missing }}] {{ data.amount * 2 }}", "\"[] 25\"")]
    [InlineData("42", "42")]
    [InlineData("-1.5e3", "-1500")]
    [InlineData("0x1F", "31")]
    [InlineData("true", "true")]
    [InlineData("FALSE", "false")]
    [InlineData("~", "null")]
    [InlineData("1.2.3", "\"1.2.3\"")]
    [InlineData(".inf", "\".inf\"")]
    [InlineData("plain text", "\"plain text\"")]
    public void Render_PlainScalar_FollowsTypingRules(string text, string expected) => Assert.Equal(expected, Render(Plain(text)));

    [Theory]
    [InlineData("42", "\"42\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("null", "\"null\"")]
    public void Render_QuotedScalar_StaysText(string text, string expected) => Assert.Equal(expected, Render(Quoted(text)));

    [Fact]
    public void Render_NullScalar_IsJsonNull() => Assert.Equal("null", Render(Plain(null)));

    [Fact]
    public void Render_Tree_KeepsShapeAndTypes()
    {
        var tree = new SettingMap(
        [
            new("id", Quoted("=data.orderId")),
            new("total", Plain("=data.amount")),
            new("tags", new SettingList([Plain("a"), Plain("=data.customer.name"), Plain("3")], At(7, 9))),
            new("headers", new SettingMap([new("X-Order", Plain("{{ data.orderId }}"))], At(8, 9))),
        ], At(4, 9));
        Assert.Equal("""{"id":"SO-1","total":12.5,"tags":["a","Ada",3],"headers":{"X-Order":"SO-1"}}""", Render(tree));
    }

    [Fact]
    public void Render_Twice_GivesIndependentValues()
    {
        var engine = Scopes.Engine();
        var template = engine.CompileValue(new SettingMap([new("a", new SettingList([Plain("1")], At(1, 1)))], At(1, 1)), [])!;
        using var scope = engine.Scope("{}");
        var first = scope.Render(template)!;
        var second = scope.Render(template)!;
        first["a"]!.AsArray().Add(2);
        Assert.Equal("""{"a":[1]}""", second.ToJsonString());
    }

    [Fact]
    public void CompileValue_SeveralBadExpressions_ReportsEachWithItsLocation()
    {
        var tree = new SettingMap(
        [
            new("id", new SettingScalar("=data.orderId +", At(6, 13))),
            new("note", new SettingScalar("Order {{ data.orderId ) }} ok", At(7, 15), Quoted: true)),
            new("open", new SettingScalar("Order {{ data.orderId", At(8, 15))),
        ], At(5, 9));
        var errors = new List<ConfigError>();
        Assert.Null(Scopes.Engine().CompileValue(tree, errors, "flows.x.steps[0].value"));
        Assert.Collection(errors,
            e => Assert.Equal("flows.yaml:6:28: flows.x.steps[0].value.id: expression \"data.orderId +\" is incomplete: Unexpected end of input (column 15)", e.ToString()),
            e => Assert.Equal(new SourceLocation("flows.yaml", 7, 15 + 1 + 9 + 13), e.Location),
            e => Assert.Equal("flows.yaml:8:21: flows.x.steps[0].value.open: '{{' at column 7 has no closing '}}'", e.ToString()));
    }

    [Fact]
    public void Expressions_ListsEveryExpressionInDocumentOrder()
    {
        var tree = new SettingList([Plain("=data.a"), Plain("x {{ data.b }} {{ data.c }}"), Plain("==d")], At(1, 1));
        var template = Scopes.Engine().CompileValue(tree, [])!;
        Assert.Equal(["data.a", "data.b", "data.c"], template.Expressions.Select(e => e.Source));
    }
}
