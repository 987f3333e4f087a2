using Isthmus.Configuration;

namespace Isthmus.Expressions;

/// <summary>A compiled expression (e.g. <c>data.amount &gt; 100000 &amp;&amp; data.customer.credit == 'A'</c>). Thread-safe.</summary>
public sealed class Expression
{
    internal Expression(string source, SourceLocation location, object compiled)
    {
        Source = source;
        Location = location;
        Compiled = compiled;
    }

    /// <summary>The text as written.</summary>
    public string Source { get; }

    /// <summary>Where it was written.</summary>
    public SourceLocation Location { get; }

    /// <summary>The engine's prepared form.</summary>
    internal object Compiled { get; }

    /// <inheritdoc/>
    public override string ToString() => Source;
}
