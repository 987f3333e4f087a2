using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace Isthmus.Expressions;

/// <summary>Evaluates compiled expressions against one event. Dispose to return its engine to the pool.</summary>
public sealed class EvaluationScope : IDisposable
{
    private readonly SandboxPool _pool;
    private readonly JsObject _steps;
    private Sandbox? _sandbox;

    internal EvaluationScope(SandboxPool pool, ExpressionInput input)
    {
        _pool = pool;
        _sandbox = pool.Rent();
        var engine = _sandbox.Engine;
        _sandbox.Now = input.Now;
        _sandbox.Entities = input.Entities;

        // The data is parsed once per scope; every expression of the run then reads the same JS object.
        JsValue data;
        try
        {
            data = input.Data.IsEmpty ? JsValue.Null : _sandbox.Json.Parse(input.Data.Span);
        }
        catch (JavaScriptException e)
        {
            Dispose();
            throw new ExpressionException($"the event's data is not valid JSON: {e.Message}", "data", SourceLocation.None, e);
        }

        _steps = new JsObject(engine);
        engine.SetValue("data", data);
        engine.SetValue("event", JsonConversion.ToJs(_sandbox, input.Event));
        engine.SetValue("steps", _steps);
        engine.SetValue("vars", _steps);
        engine.SetValue("previous", JsValue.Null);

        // Mapping variables of an earlier scope on this pooled engine must not leak into this one.
        engine.SetValue("value", JsValue.Null);
        engine.SetValue("record", JsValue.Null);
        engine.SetValue("entity", JsValue.Null);
    }

    private Sandbox Sandbox => _sandbox ?? throw new ObjectDisposedException(nameof(EvaluationScope));

    /// <summary>Makes <paramref name="value"/> visible as <c>steps.&lt;name&gt;</c> (and as <c>vars.&lt;name&gt;</c>).</summary>
    public void SetStepOutput(string name, JsonNode? value) => _steps.Set(name, JsonConversion.ToJs(Sandbox, value));

    /// <summary>Makes <paramref name="value"/> visible under <paramref name="name"/> (e.g. <c>value</c>, <c>record</c>, <c>entity</c> in mappings).</summary>
    public void SetVariable(string name, JsonNode? value) => Sandbox.Engine.SetValue(name, JsonConversion.ToJs(Sandbox, value));

    /// <summary>Makes the watched value's previous state visible as <c>previous</c>.</summary>
    public void SetPrevious(JsonNode? value) => Sandbox.Engine.SetValue("previous", JsonConversion.ToJs(Sandbox, value));

    /// <summary>Evaluates to a JSON value. Throws <see cref="ExpressionException"/> on a runtime error or a sandbox limit.</summary>
    public JsonNode? Evaluate(Expression expression) => Run(expression, static value => JsonConversion.ToJson(value));

    /// <summary>Evaluates with JavaScript truthiness.</summary>
    public bool Test(Expression expression) => Run(expression, static value => TypeConverter.ToBoolean(value));

    /// <summary>Renders a template to a JSON value.</summary>
    public JsonNode? Render(ValueTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.Root.Render(this);
    }

    /// <summary>Evaluates to the text an interpolation <c>{{ }}</c> shows.</summary>
    internal string EvaluateText(Expression expression) => Run(expression, static value => JsonConversion.ToText(value));

    // The conversion runs inside the same guard as the evaluation: reading the result can run script too
    // (a getter, a proxy), and its failures must read like any other failure of the expression.
    private T Run<T>(Expression expression, Func<JsValue, T> convert)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var sandbox = Sandbox;
        try
        {
            return convert(sandbox.Engine.Evaluate(in expression.Prepared));
        }
        catch (JavaScriptException e)
        {
            throw Failure(expression, e.Message, e);
        }
        catch (NestingTooDeepException e)
        {
            throw Failure(expression, e.Message, e);
        }
        catch (EntityLookupUnavailableException)
        {
            // The store, not the expression, failed: the caller retries the event rather than failing the run.
            sandbox.Broken = true;
            throw;
        }
        catch (Exception e) when (e is not ExpressionException)
        {
            // After a limit the engine may hold a half-unwound call stack; a fresh one is cheaper than doubt.
            sandbox.Broken = true;
            throw Failure(expression, Explain(e), e);
        }
    }

    internal static ExpressionException Failure(Expression expression, string reason, Exception? inner = null) =>
        new($"expression `{expression.Source}` at {expression.Location} failed: {reason}", expression.Source, expression.Location, inner);

    private static string Explain(Exception e) => e switch
    {
        TimeoutException => $"it ran longer than {Sandbox.Timeout.TotalMilliseconds:0} ms (a loop that never ends?)",
        MemoryLimitExceededException => $"it allocated more than {Sandbox.MemoryLimit / (1024 * 1024)} MB",
        RecursionDepthOverflowException => $"it nested calls deeper than {Sandbox.RecursionLimit} (endless recursion?)",
        StatementsCountOverflowException => $"it ran more than {Sandbox.StatementLimit:N0} statements (a loop that never ends?)",
        _ => e.Message,
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_sandbox is { } sandbox)
        {
            _sandbox = null;
            sandbox.Entities = null;
            _pool.Return(sandbox);
        }
    }
}
