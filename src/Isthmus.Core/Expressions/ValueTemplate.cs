namespace Isthmus.Expressions;

/// <summary>
/// A compiled JSON-shaped value: literals, <c>=expression</c> strings, and strings with <c>{{ expression }}</c>
/// interpolations, nested in mappings and lists. Rendered by <see cref="EvaluationScope.Render"/>. Thread-safe.
/// </summary>
public sealed class ValueTemplate
{
    internal ValueTemplate(object root) => Root = root;

    /// <summary>The engine's compiled tree.</summary>
    internal object Root { get; }
}
