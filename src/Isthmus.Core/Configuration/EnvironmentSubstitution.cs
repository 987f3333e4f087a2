using System.Text;

namespace Isthmus.Configuration;

/// <summary>
/// Replaces <c>${NAME}</c> and <c>${NAME:-default}</c> in a scalar with environment variables, so secrets stay out
/// of the files kept in git. <c>$${</c> writes a literal <c>${</c>. Text such as <c>${data.x}</c>, which is not a
/// variable name, is left alone.
/// </summary>
internal static class EnvironmentSubstitution
{
    public static string Apply(string text, Func<string, string?> environment, SourceLocation location, List<ConfigError> errors)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (string.CompareOrdinal(text, i, "$${", 0, 3) == 0)
            {
                result.Append("${");
                i += 3;
            }
            else if (string.CompareOrdinal(text, i, "${", 0, 2) == 0 && TryReadReference(text, i + 2, out var name, out var fallback, out var end))
            {
                var value = environment(name);
                if (fallback is not null && string.IsNullOrEmpty(value))
                {
                    value = fallback;
                }

                if (value is null)
                {
                    errors.Add(new ConfigError(location,
                        $"environment variable '{name}' is not set; set it, or give a default with ${{{name}:-default}}"));
                }

                result.Append(value);
                i = end;
            }
            else
            {
                result.Append(text[i]);
                i++;
            }
        }

        return result.ToString();
    }

    /// <summary>Reads <c>NAME}</c> or <c>NAME:-default}</c> starting at <paramref name="start"/>.</summary>
    private static bool TryReadReference(string text, int start, out string name, out string? fallback, out int end)
    {
        name = "";
        fallback = null;
        end = start;
        var i = start;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_') && !(i == start && char.IsAsciiDigit(text[i])))
        {
            i++;
        }

        if (i == start || i >= text.Length)
        {
            return false;
        }

        name = text[start..i];
        if (text[i] == '}')
        {
            end = i + 1;
            return true;
        }

        if (string.CompareOrdinal(text, i, ":-", 0, 2) != 0)
        {
            return false;
        }

        var close = text.IndexOf('}', i + 2);
        if (close < 0)
        {
            return false;
        }

        fallback = text[(i + 2)..close];
        end = close + 1;
        return true;
    }
}
