using System.Text;
using System.Text.Json.Nodes;

namespace Isthmus.Expressions;

/// <summary>One node of a compiled <see cref="ValueTemplate"/>. Immutable: rendering builds new JSON each time.</summary>
internal abstract class TemplatePart
{
    public abstract JsonNode? Render(EvaluationScope scope);

    public virtual IEnumerable<Expression> Expressions() => [];
}

/// <summary>A constant; cloned on render because a <see cref="JsonNode"/> can belong to one parent only.</summary>
internal sealed class LiteralPart(JsonNode? value) : TemplatePart
{
    public override JsonNode? Render(EvaluationScope scope) => value?.DeepClone();
}

/// <summary><c>=expression</c>: the value keeps the expression's type.</summary>
internal sealed class ExpressionPart(Expression expression) : TemplatePart
{
    public override JsonNode? Render(EvaluationScope scope) => scope.Evaluate(expression);

    public override IEnumerable<Expression> Expressions() => [expression];
}

/// <summary>Text with <c>{{ expression }}</c> holes; <paramref name="texts"/> has one more item than <paramref name="holes"/>.</summary>
internal sealed class InterpolationPart(string[] texts, Expression[] holes) : TemplatePart
{
    public override JsonNode? Render(EvaluationScope scope)
    {
        var builder = new StringBuilder(texts[0]);
        for (var i = 0; i < holes.Length; i++)
        {
            builder.Append(scope.EvaluateText(holes[i])).Append(texts[i + 1]);
        }

        return JsonValue.Create(builder.ToString());
    }

    public override IEnumerable<Expression> Expressions() => holes;
}

internal sealed class MapPart(KeyValuePair<string, TemplatePart>[] entries) : TemplatePart
{
    public override JsonNode? Render(EvaluationScope scope)
    {
        var map = new JsonObject();
        foreach (var (key, part) in entries)
        {
            map[key] = part.Render(scope);
        }

        return map;
    }

    public override IEnumerable<Expression> Expressions() => entries.SelectMany(e => e.Value.Expressions());
}

internal sealed class ListPart(TemplatePart[] items) : TemplatePart
{
    public override JsonNode? Render(EvaluationScope scope)
    {
        var list = new JsonArray();
        foreach (var item in items)
        {
            list.Add(item.Render(scope));
        }

        return list;
    }

    public override IEnumerable<Expression> Expressions() => items.SelectMany(i => i.Expressions());
}
