using Acornima.Ast;
using Isthmus.Configuration;
using Jint;

namespace Isthmus.Expressions;

/// <summary>A compiled expression (e.g. <c>data.amount &gt; 100000 &amp;&amp; data.customer.credit == 'A'</c>). Thread-safe.</summary>
public sealed class Expression
{
    // Prepared scripts hold only the parsed, immutable AST, so one instance serves every pooled engine.
    internal readonly Prepared<Script> Prepared;

    internal Expression(string source, SourceLocation location, Prepared<Script> prepared)
    {
        Source = source;
        Location = location;
        Prepared = prepared;
    }

    /// <summary>The text as written.</summary>
    public string Source { get; }

    /// <summary>Where it was written.</summary>
    public SourceLocation Location { get; }

    /// <summary>The engine's prepared form.</summary>
    internal object Compiled => Prepared;

    /// <inheritdoc/>
    public override string ToString() => Source;
}
