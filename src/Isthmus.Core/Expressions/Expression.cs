using Acornima;
using Acornima.Ast;
using Jint;
using SourceLocation = Isthmus.Configuration.SourceLocation;

namespace Isthmus.Expressions;

/// <summary>A compiled expression (e.g. <c>data.amount &gt; 100000 &amp;&amp; data.customer.credit == 'A'</c>). Thread-safe.</summary>
public sealed class Expression
{
    // Names through which a script reaches the global object, and so every variable, without naming it (code from strings
    // is refused by the sandbox as well).
    private static readonly HashSet<string> GlobalReaches = new(StringComparer.Ordinal) { "globalThis", "eval", "Function" };

    // Prepared scripts hold only the parsed, immutable AST, so one instance serves every pooled engine.
    internal readonly Prepared<Script> Prepared;

    internal Expression(string source, SourceLocation location, Prepared<Script> prepared)
    {
        Source = source;
        Location = location;
        Prepared = prepared;
        (Reads, Path) = Analyse(prepared.Program);
    }

    /// <summary>The text as written.</summary>
    public string Source { get; }

    /// <summary>Where it was written.</summary>
    public SourceLocation Location { get; }

    /// <summary>The engine's prepared form.</summary>
    internal object Compiled => Prepared;

    /// <summary>
    /// Every name the expression mentions (property names too, which only makes it cautious); <c>null</c> when it can reach
    /// the global object (<c>this</c>, <c>globalThis</c>, <c>eval</c>, <c>Function</c>) and so may read any variable.
    /// A scope converts a variable for the engine only when an expression may read it.
    /// </summary>
    internal IReadOnlySet<string>? Reads { get; }

    /// <summary>For an expression that is only a path such as <c>entity.code</c>: its variable and property names; otherwise <c>null</c>.</summary>
    internal (string Variable, string[] Properties)? Path { get; }

    /// <summary>Whether the expression may read the variable <paramref name="name"/>.</summary>
    internal bool MayRead(string name) => Reads is null || Reads.Contains(name);

    /// <inheritdoc/>
    public override string ToString() => Source;

    private static (IReadOnlySet<string>?, (string, string[])?) Analyse(Script? program)
    {
        if (program is null)
        {
            return (null, null);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in program.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case ThisExpression:
                    return (null, null);
                case Identifier identifier when GlobalReaches.Contains(identifier.Name):
                    return (null, null);
                case Identifier identifier:
                    names.Add(identifier.Name);
                    break;
            }
        }

        return (names, program.Body is [ExpressionStatement { Expression: var expression }] ? PathOf(expression) : null);
    }

    private static (string, string[])? PathOf(Node expression)
    {
        var properties = new List<string>();
        while (expression is MemberExpression { Computed: false, Optional: false, Property: Identifier property } member)
        {
            properties.Add(property.Name);
            expression = member.Object;
        }

        if (expression is not Identifier root)
        {
            return null;
        }

        properties.Reverse();
        return (root.Name, properties.ToArray());
    }
}
