using System.Text.Json.Nodes;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Isthmus.Tests.Expressions;

public class ConcurrencyTests
{
    private static readonly Isthmus.Expressions.ExpressionEngine Engine = Scopes.Engine();
    private static readonly Isthmus.Expressions.Expression Sum = Engine.Compile("data.a * 3 + data.b.length + steps.s.k");
    private static readonly Isthmus.Expressions.ValueTemplate Template =
        Engine.CompileValue(new Isthmus.Configuration.SettingScalar("{{ data.b }}:{{ data.a }}", Isthmus.Configuration.SourceLocation.None), [])!;

    [Property(MaxTest = 30)]
    public bool Evaluate_ScopesOnSeveralThreads_EachSeesOnlyItsOwnData(int[] seeds)
    {
        var results = new (long Expected, long Actual, string Text, string ExpectedText)[seeds.Length * 20];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var a = seeds[i % seeds.Length] / 4;
            var b = new string('x', i % 7);
            using var scope = Engine.Scope($$"""{"a":{{a}},"b":"{{b}}"}""");
            scope.SetStepOutput("s", new JsonObject { ["k"] = i });
            results[i] = (a * 3L + b.Length + i, scope.Evaluate(Sum)!.GetValue<long>(), scope.Render(Template)!.GetValue<string>(), $"{b}:{a}");
        });
        return results.All(r => r.Expected == r.Actual && r.Text == r.ExpectedText);
    }
}
