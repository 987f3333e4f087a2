using System.Text;
using System.Text.RegularExpressions;

namespace Isthmus.Configuration;

/// <summary>
/// Expands an <c>include:</c> entry: a path, or a glob with <c>*</c> (within one folder), <c>?</c> and <c>**</c>
/// (any depth of folders), relative to the including file's folder.
/// </summary>
internal static class IncludeGlob
{
    public static bool IsPattern(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>The absolute form of <paramref name="pattern"/>, the way the watcher re-runs it later.</summary>
    public static string Absolute(string pattern, string directory) => Path.GetFullPath(Path.Combine(directory, pattern));

    /// <summary>The files matching an absolute pattern, in ordinal order so loads are repeatable.</summary>
    public static IReadOnlyList<string> Expand(string absolutePattern)
    {
        if (!IsPattern(absolutePattern))
        {
            return File.Exists(absolutePattern) ? [absolutePattern] : [];
        }

        var normalized = absolutePattern.Replace('\\', '/');
        var firstWild = normalized.AsSpan().IndexOfAny('*', '?');
        var root = normalized[..(normalized.LastIndexOf('/', firstWild) + 1)];
        if (!Directory.Exists(root))
        {
            return [];
        }

        var rest = normalized[root.Length..];
        var deep = rest.Contains('/', StringComparison.Ordinal);
        var matcher = ToRegex(rest);
        return Directory.EnumerateFiles(root, "*", deep ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(file => matcher.IsMatch(Path.GetRelativePath(root, file).Replace('\\', '/')))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (string.CompareOrdinal(glob, i, "**/", 0, 3) == 0)
            {
                pattern.Append("(.*/)?");
                i += 2;
            }
            else if (string.CompareOrdinal(glob, i, "**", 0, 2) == 0)
            {
                pattern.Append(".*");
                i++;
            }
            else
            {
                pattern.Append(glob[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    var c => Regex.Escape(c.ToString()),
                });
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
