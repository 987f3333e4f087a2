using System.Text;

namespace Isthmus.Model;

/// <summary>
/// Text clean-ups applied before values are compared or looked up, so "ＡＢＣ 公司 " in one system and "abc 公司" in
/// another are the same customer. Each is idempotent, so applying a chain twice changes nothing.
/// </summary>
public enum Normalizer
{
    /// <summary>Leading and trailing white space removed.</summary>
    Trim,
    /// <summary>Full-width ASCII forms and the ideographic space turned into their half-width forms.</summary>
    HalfWidth,
    /// <summary>Lower case (invariant).</summary>
    Lower,
    /// <summary>Upper case (invariant).</summary>
    Upper,
    /// <summary>Runs of white space inside the text collapsed to one space.</summary>
    Collapse,
}

/// <summary>Applies normalizer chains.</summary>
public static class Normalizers
{
    /// <summary>The names written in configuration, by normalizer.</summary>
    public static readonly IReadOnlyDictionary<string, Normalizer> ByName = new Dictionary<string, Normalizer>(StringComparer.Ordinal)
    {
        ["trim"] = Normalizer.Trim,
        ["halfwidth"] = Normalizer.HalfWidth,
        ["lower"] = Normalizer.Lower,
        ["upper"] = Normalizer.Upper,
        ["collapse"] = Normalizer.Collapse,
    };

    /// <summary>The chain used for identity matching: half-width, collapsed, trimmed, lower case.</summary>
    public static readonly IReadOnlyList<Normalizer> ForMatching = [Normalizer.HalfWidth, Normalizer.Collapse, Normalizer.Trim, Normalizer.Lower];

    /// <summary>Applies <paramref name="chain"/> in order.</summary>
    public static string Apply(IReadOnlyList<Normalizer> chain, string text)
    {
        foreach (var step in chain)
        {
            text = step switch
            {
                Normalizer.Trim => text.Trim(),
                Normalizer.HalfWidth => HalfWidth(text),
                Normalizer.Lower => text.ToLowerInvariant(),
                Normalizer.Upper => text.ToUpperInvariant(),
                _ => Collapse(text),
            };
        }

        return text;
    }

    private static string HalfWidth(string text)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            // U+FF01..U+FF5E mirror ASCII 0x21..0x7E; U+3000 is the ideographic (full-width) space.
            var half = c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c == '\u3000' ? ' ' : c;
            if (half != c)
            {
                builder ??= new StringBuilder(text, 0, i, text.Length);
            }

            builder?.Append(half);
        }

        return builder?.ToString() ?? text;
    }

    private static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space && builder.Length > 0)
            {
                builder.Append(' ');
            }

            space = false;
            builder.Append(c);
        }

        return builder.ToString();
    }
}
