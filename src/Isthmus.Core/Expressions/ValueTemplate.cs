namespace Isthmus.Expressions;

/// <summary>
/// A compiled JSON-shaped value: literals, <c>=expression</c> strings, and strings with <c>{{ expression }}</c>
/// interpolations, nested in mappings and lists. Rendered by <see cref="EvaluationScope.Render"/>. Thread-safe.
/// </summary>
public sealed class ValueTemplate
{
    internal ValueTemplate(TemplatePart root) => Root = root;

    /// <summary>The engine's compiled tree.</summary>
    internal TemplatePart Root { get; }

    /// <summary>Every expression in the template, in document order (for tooling and tests).</summary>
    public IReadOnlyList<Expression> Expressions => Root.Expressions().ToList();
}
