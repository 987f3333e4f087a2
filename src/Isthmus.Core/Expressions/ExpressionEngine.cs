using Acornima;
using SourceLocation = Isthmus.Configuration.SourceLocation;
using Acornima.Ast;
using Isthmus.Configuration;
using Jint;

namespace Isthmus.Expressions;

/// <summary>
/// The one expression language of Isthmus: compiles expressions and value templates once per configuration
/// load and evaluates them in a sandbox (no I/O; bounded time, memory and recursion). Thread-safe.
/// </summary>
public sealed class ExpressionEngine
{
    private readonly SandboxPool _pool;

    /// <summary>Creates an engine with the given code tables (name → code → value), usable from <c>lookup()</c>.</summary>
    public ExpressionEngine(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
    {
        CodeTables = codeTables;
        _pool = new SandboxPool(codeTables);
    }

    /// <summary>The code tables visible to <c>lookup()</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> CodeTables { get; }

    /// <summary>Compiles an expression; on a syntax error adds a <see cref="ConfigError"/> and returns <c>null</c>.</summary>
    public Expression? Compile(string source, SourceLocation location, List<ConfigError> errors) =>
        Compile(source, location, errors, path: null);

    /// <summary>
    /// Compiles an expression; on a syntax error adds a <see cref="ConfigError"/> whose message starts with
    /// <paramref name="path"/> (e.g. <c>flows.x.when</c>) and returns <c>null</c>.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Compiling belongs to the engine whose functions and limits the expression will run under.")]
    public Expression? Compile(string source, SourceLocation location, List<ConfigError> errors, string? path)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(errors);
        var prefix = path is null ? "" : path + ": ";
        if (string.IsNullOrWhiteSpace(source))
        {
            errors.Add(new ConfigError(location, $"{prefix}the expression is empty; write one such as data.amount > 1000"));
            return null;
        }

        try
        {
            var prepared = Engine.PrepareScript(source, location.ToString(), strict: true);

            // A script may hold statements; an expression must be exactly one, so "a; b" or "var x" are refused here.
            if (prepared.Program?.Body is not [ExpressionStatement])
            {
                errors.Add(new ConfigError(location,
                    $"{prefix}\"{source}\" must be a single expression (no ';', 'var', 'if' or other statements; write an object as ({{ a: 1 }}))"));
                return null;
            }

            return new Expression(source, location, prepared);
        }
        catch (ScriptPreparationException e) when (e.InnerException is ParseErrorException syntax)
        {
            errors.Add(SyntaxError(source, location, prefix, syntax));
            return null;
        }
    }

    /// <summary>Compiles a value tree (see <see cref="ValueTemplate"/>); errors are added with their locations.</summary>
    public ValueTemplate? CompileValue(SettingNode node, List<ConfigError> errors) => CompileValue(node, errors, path: null);

    /// <summary>Compiles a value tree; error messages name the path of the offending value below <paramref name="path"/>.</summary>
    public ValueTemplate? CompileValue(SettingNode node, List<ConfigError> errors, string? path)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        var root = new TemplateCompiler(this, errors).Compile(node, path ?? "value");
        return errors.Count == before ? new ValueTemplate(root) : null;
    }

    /// <summary>Opens a scope for one run. Not thread-safe: use it from one thread, then dispose it.</summary>
    public EvaluationScope CreateScope(ExpressionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new EvaluationScope(_pool, input);
    }

    private static ConfigError SyntaxError(string source, SourceLocation location, string prefix, ParseErrorException syntax)
    {
        // Acornima counts columns from 0; people count from 1. On a one-line expression the error can point
        // at the exact character in the file; across lines only the line is certain.
        var column = syntax.Column + 1;
        var at = syntax.LineNumber <= 1
            ? location with { Column = location.Column + syntax.Column }
            : location with { Line = location.Line + syntax.LineNumber - 1 };
        var what = syntax.Description.Contains("end of input", StringComparison.OrdinalIgnoreCase) ? "is incomplete" : "is not valid";
        var where = syntax.LineNumber <= 1 ? $"column {column}" : $"line {syntax.LineNumber}, column {column}";
        return new ConfigError(at, $"{prefix}expression \"{source}\" {what}: {syntax.Description} ({where})");
    }
}
