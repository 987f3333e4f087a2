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
    private readonly ExpressionInput _input;

    // Variables set and not given to the engine yet: converting a record or an entity for every scope cost more than
    // the expressions that read it, and many expressions read none (value / 100) or only a path (entity.code).
    private readonly Dictionary<string, JsonNode?> _pending = new(StringComparer.Ordinal);
    private JsObject? _steps;
    private Sandbox? _sandbox;
    private bool _disposed;

    internal EvaluationScope(SandboxPool pool, ExpressionInput input)
    {
        _pool = pool;
        _input = input;

        // An event's data is parsed at once, so bad JSON is refused where the scope is opened.
        if (!input.Data.IsEmpty)
        {
            Open();
        }
    }

    private Sandbox Sandbox => _disposed ? throw new ObjectDisposedException(nameof(EvaluationScope)) : _sandbox ?? Open();

    private Sandbox Open()
    {
        var sandbox = _sandbox = _pool.Rent();
        var engine = sandbox.Engine;
        sandbox.Now = _input.Now;
        sandbox.Entities = _input.Entities;

        // The data is parsed once per scope; every expression of the run then reads the same JS object.
        JsValue data;
        try
        {
            data = _input.Data.IsEmpty ? JsValue.Null : sandbox.Json.Parse(_input.Data.Span);
        }
        catch (JavaScriptException e)
        {
            Dispose();
            throw new ExpressionException($"the event's data is not valid JSON: {e.Message}", "data", SourceLocation.None, e);
        }

        _steps = new JsObject(engine);
        engine.SetValue("data", data);
        engine.SetValue("event", JsonConversion.ToJs(sandbox, _input.Event));
        engine.SetValue("steps", _steps);
        engine.SetValue("vars", _steps);

        // Variables of an earlier scope on this pooled engine must not leak into this one.
        engine.SetValue("previous", JsValue.Null);
        engine.SetValue("value", JsValue.Null);
        engine.SetValue("record", JsValue.Null);
        engine.SetValue("entity", JsValue.Null);
        return sandbox;
    }

    /// <summary>Makes <paramref name="value"/> visible as <c>steps.&lt;name&gt;</c> (and as <c>vars.&lt;name&gt;</c>).</summary>
    public void SetStepOutput(string name, JsonNode? value)
    {
        var sandbox = Sandbox;
        _steps!.Set(name, JsonConversion.ToJs(sandbox, value));
    }

    /// <summary>Makes <paramref name="value"/> visible under <paramref name="name"/> (e.g. <c>value</c>, <c>record</c>, <c>entity</c> in mappings).</summary>
    public void SetVariable(string name, JsonNode? value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _pending[name] = value;
    }

    /// <summary>Makes the watched value's previous state visible as <c>previous</c>.</summary>
    public void SetPrevious(JsonNode? value) => SetVariable("previous", value);

    /// <summary>Evaluates to a JSON value. Throws <see cref="ExpressionException"/> on a runtime error or a sandbox limit.</summary>
    public JsonNode? Evaluate(Expression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TryPath(expression, out var value) ? value : Run(expression, static value => JsonConversion.ToJson(value));
    }

    /// <summary>
    /// A path such as <c>entity.code</c> on a variable the engine has not seen, read from its JSON as the engine would read it.
    /// Anything the engine could answer differently (a missing property, which may be inherited; an object, whose keys it
    /// orders; a property of null, which throws) is left to the engine.
    /// </summary>
    private bool TryPath(Expression expression, out JsonNode? value)
    {
        value = null;
        if (expression.Path is not { } path || !_pending.TryGetValue(path.Variable, out var node))
        {
            return false;
        }

        foreach (var property in path.Properties)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(property, out node))
            {
                return false;
            }
        }

        switch (node)
        {
            case null:
                return true;
            case JsonValue scalar:
                value = JsonConversion.Scalar(scalar);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Gives the engine the variables set since, that <paramref name="expression"/> may read.</summary>
    private void Give(Sandbox sandbox, Expression expression)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        List<string>? given = null;
        foreach (var (name, node) in _pending)
        {
            if (expression.MayRead(name))
            {
                sandbox.Engine.SetValue(name, JsonConversion.ToJs(sandbox, node));
                (given ??= []).Add(name);
            }
        }

        foreach (var name in given ?? [])
        {
            _pending.Remove(name);
        }
    }

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
            Give(sandbox, expression);
            return convert(sandbox.Engine.Evaluate(in expression.Prepared));
        }
        catch (JavaScriptException e)
        {
            // The engine refuses code from strings in words meant for its host; should they change, they are shown as they are.
            throw Failure(expression, e.Message.StartsWith("String compilation has been disabled", StringComparison.Ordinal)
                ? "it makes code from a string (eval, new Function, a function's constructor), which expressions may not do"
                : e.Message, e);
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
        _disposed = true;
        if (_sandbox is { } sandbox)
        {
            _sandbox = null;
            sandbox.Entities = null;
            _pool.Return(sandbox);
        }
    }
}
