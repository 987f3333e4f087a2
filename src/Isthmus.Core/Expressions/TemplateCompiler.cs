using System.Text.Json.Nodes;
using Isthmus.Configuration;

namespace Isthmus.Expressions;

/// <summary>Turns a settings tree into a <see cref="TemplatePart"/> tree, compiling every expression and reporting every error.</summary>
internal sealed class TemplateCompiler(ExpressionEngine engine, List<ConfigError> errors)
{
    public TemplatePart Compile(SettingNode node, string path) => node switch
    {
        SettingMap map => new MapPart([.. map.Entries.Select(e => KeyValuePair.Create(e.Key, Compile(e.Value, $"{path}.{e.Key}")))]),
        SettingList list => new ListPart([.. list.Items.Select((item, i) => Compile(item, $"{path}[{i}]"))]),
        SettingScalar scalar => Scalar(scalar, path),
        _ => new LiteralPart(null),
    };

    private TemplatePart Scalar(SettingScalar scalar, string path)
    {
        var text = scalar.Value;
        if (text is null)
        {
            return new LiteralPart(null);
        }

        if (text.StartsWith("==", StringComparison.Ordinal))
        {
            return new LiteralPart(JsonValue.Create(text[1..])); // "==x" escapes a literal "=x"
        }

        if (text.StartsWith('='))
        {
            var expression = engine.Compile(text[1..], At(scalar, 1), errors, path);
            return expression is null ? new LiteralPart(null) : new ExpressionPart(expression);
        }

        if (text.Contains("{{", StringComparison.Ordinal))
        {
            return Interpolation(scalar, text, path);
        }

        return new LiteralPart(scalar.Quoted ? JsonValue.Create(text) : YamlCoreSchema.Parse(text));
    }

    private TemplatePart Interpolation(SettingScalar scalar, string text, string path)
    {
        var texts = new List<string>();
        var holes = new List<Expression>();
        var position = 0;
        while (true)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                texts.Add(text[position..]);
                break;
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                errors.Add(new ConfigError(At(scalar, open), $"{path}: '{{{{' at column {open + 1} has no closing '}}}}'"));
                return new LiteralPart(null);
            }

            texts.Add(text[position..open]);
            var inner = text[(open + 2)..close];
            var lead = inner.Length - inner.TrimStart().Length;
            if (engine.Compile(inner.Trim(), At(scalar, open + 2 + lead), errors, path) is { } expression)
            {
                holes.Add(expression);
            }

            position = close + 2;
        }

        return holes.Count == texts.Count - 1 ? new InterpolationPart([.. texts], [.. holes]) : new LiteralPart(null);
    }

    /// <summary>The location of the character at <paramref name="offset"/> in the scalar's text (past an opening quote).</summary>
    internal static SourceLocation At(SettingScalar scalar, int offset) =>
        scalar.Location with { Column = scalar.Location.Column + offset + (scalar.Quoted ? 1 : 0) };
}
