using Isthmus.Configuration;

namespace Isthmus.Connectors.Tests.Support;

/// <summary>
/// Builds a located <see cref="SettingMap"/> from the small YAML subset connection settings use: block mappings
/// by indentation, flow mappings (<c>{ a: b }</c>) and lists (<c>[a, b]</c>), quoted scalars and comments. Locations are 1-based, in
/// <c>isthmus.yaml</c>, so tests can assert exactly where an error points.
/// </summary>
internal static class SettingsYaml
{
    public const string File = "isthmus.yaml";

    public static SettingMap Parse(string yaml)
    {
        var lines = yaml.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var index = 0;
        return Block(lines, ref index, minIndent: 0);
    }

    private static SettingMap Block(string[] lines, ref int i, int minIndent)
    {
        var entries = new List<KeyValuePair<string, SettingNode>>();
        int? indent = null;
        SourceLocation? start = null;
        for (; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]);
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var column = line.Length - line.TrimStart().Length;
            indent ??= column;
            if (column < indent || column < minIndent)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var key = line[column..colon].Trim();
            var location = new SourceLocation(File, i + 1, column + 1);
            start ??= location;
            var restStart = colon + 1;
            while (restStart < line.Length && line[restStart] == ' ')
            {
                restStart++;
            }

            if (restStart >= line.Length)
            {
                var next = i + 1;
                while (next < lines.Length && StripComment(lines[next]).Trim().Length == 0)
                {
                    next++;
                }

                if (next < lines.Length && Indent(lines[next]) > column)
                {
                    i = next;
                    entries.Add(new(key, Block(lines, ref i, column + 1)));
                    i--;
                }
                else
                {
                    entries.Add(new(key, new SettingScalar(null, location)));
                }

                continue;
            }

            var p = restStart;
            entries.Add(new(key, Flow(line, ref p, i + 1)));
        }

        return new SettingMap(entries, start ?? new SourceLocation(File, 1, 1));
    }

    private static SettingNode Flow(string line, ref int p, int lineNumber)
    {
        while (line[p] == ' ')
        {
            p++;
        }

        var location = new SourceLocation(File, lineNumber, p + 1);
        if (line[p] == '{')
        {
            p++;
            var entries = new List<KeyValuePair<string, SettingNode>>();
            while (true)
            {
                while (line[p] is ' ' or ',')
                {
                    p++;
                }

                if (line[p] == '}')
                {
                    p++;
                    return new SettingMap(entries, location);
                }

                var colon = line.IndexOf(':', p);
                var key = line[p..colon].Trim();
                p = colon + 1;
                entries.Add(new(key, Flow(line, ref p, lineNumber)));
            }
        }

        if (line[p] == '[')
        {
            p++;
            var items = new List<SettingNode>();
            while (true)
            {
                while (line[p] is ' ' or ',')
                {
                    p++;
                }

                if (line[p] == ']')
                {
                    p++;
                    return new SettingList(items, location);
                }

                items.Add(Flow(line, ref p, lineNumber));
            }
        }

        if (line[p] is '"' or '\'')
        {
            var close = line.IndexOf(line[p], p + 1);
            var quoted = line[(p + 1)..close];
            p = close + 1;
            return new SettingScalar(quoted, location, Quoted: true);
        }

        var end = p;
        while (end < line.Length && line[end] is not (',' or '}' or ']'))
        {
            end++;
        }

        var text = line[p..end].Trim();
        p = end;
        return new SettingScalar(text is "~" or "null" ? null : text, location);
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    private static string StripComment(string line)
    {
        var hash = line.IndexOf(" #", StringComparison.Ordinal);
        return line.TrimStart().StartsWith('#') ? "" : hash >= 0 ? line[..hash] : line;
    }
}
