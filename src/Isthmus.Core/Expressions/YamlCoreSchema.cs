using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Isthmus.Expressions;

/// <summary>
/// How YAML 1.2's core schema reads an unquoted scalar: <c>42</c>, <c>0x2A</c>, <c>1.5e3</c>, <c>true</c> and
/// <c>null</c> are typed; anything else is text. Quoting a scalar always keeps it text.
/// </summary>
internal static partial class YamlCoreSchema
{
    public static JsonNode? Parse(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            return JsonValue.Create(whole);
        }

        if (text.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && text.Length > 2 && text.Skip(2).All(c => c is >= '0' and <= '7'))
        {
            return JsonValue.Create(Convert.ToInt64(text[2..], 8));
        }

        if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonConversion.Number(real);
        }

        return JsonValue.Create(text); // .inf and .nan have no JSON form, so they stay text
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
