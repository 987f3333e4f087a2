using System.Text.Json.Nodes;
using Isthmus.Configuration;

namespace Isthmus.Expressions;

/// <summary>
/// The one expression language of Isthmus: compiles expressions and value templates once per configuration
/// load and evaluates them in a sandbox (no I/O; bounded time, memory and recursion). Thread-safe.
/// </summary>
public sealed class ExpressionEngine
{
    /// <summary>Creates an engine with the given code tables (name → code → value), usable from <c>lookup()</c>.</summary>
    public ExpressionEngine(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
    {
        CodeTables = codeTables;
    }

    /// <summary>The code tables visible to <c>lookup()</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> CodeTables { get; }

    /// <summary>Compiles an expression; on a syntax error adds a <see cref="ConfigError"/> and returns <c>null</c>.</summary>
    public Expression? Compile(string source, SourceLocation location, List<ConfigError> errors) =>
        throw new NotImplementedException();

    /// <summary>Compiles a value tree (see <see cref="ValueTemplate"/>); errors are added with their locations.</summary>
    public ValueTemplate? CompileValue(SettingNode node, List<ConfigError> errors) =>
        throw new NotImplementedException();

    /// <summary>Opens a scope for one run. Not thread-safe: use it from one thread, then dispose it.</summary>
    public EvaluationScope CreateScope(ExpressionInput input) => throw new NotImplementedException();
}

/// <summary>Evaluates compiled expressions against one event. Dispose to return its engine to the pool.</summary>
public sealed class EvaluationScope : IDisposable
{
    internal EvaluationScope()
    {
    }

    /// <summary>Makes <paramref name="value"/> visible as <c>steps.&lt;name&gt;</c> (and as <c>vars.&lt;name&gt;</c>).</summary>
    public void SetStepOutput(string name, JsonNode? value) => throw new NotImplementedException();

    /// <summary>Makes the watched value's previous state visible as <c>previous</c>.</summary>
    public void SetPrevious(JsonNode? value) => throw new NotImplementedException();

    /// <summary>Evaluates to a JSON value. Throws <see cref="ExpressionException"/> on a runtime error or a sandbox limit.</summary>
    public JsonNode? Evaluate(Expression expression) => throw new NotImplementedException();

    /// <summary>Evaluates with JavaScript truthiness.</summary>
    public bool Test(Expression expression) => throw new NotImplementedException();

    /// <summary>Renders a template to a JSON value.</summary>
    public JsonNode? Render(ValueTemplate template) => throw new NotImplementedException();

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
