using Isthmus.Configuration;

namespace Isthmus.Expressions;

/// <summary>An expression failed at run time (a type error, a sandbox limit). The message names the expression and where it was written.</summary>
public sealed class ExpressionException(string message, string source, SourceLocation location, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>The expression's text.</summary>
    public string ExpressionText { get; } = source;

    /// <summary>Where it was written.</summary>
    public SourceLocation Location { get; } = location;
}
