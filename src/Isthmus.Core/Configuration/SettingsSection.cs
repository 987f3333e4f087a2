namespace Isthmus.Configuration;

/// <summary>
/// Reads one mapping of the configuration with messages that name its path (<c>flows.x.trigger</c>) and say what
/// to write instead. Every reader records the keys it asked for, so <see cref="RejectUnknownKeys"/> can point at typos.
/// </summary>
internal sealed class SettingsSection(SettingMap map, string path, string description, List<ConfigError> errors)
{
    private readonly List<string> _known = [];

    public SettingMap Map => map;

    public string Path => path;

    public List<ConfigError> Errors => errors;

    public string PathOf(string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Reports a problem with the value of <paramref name="key"/>: at the value when it is a single one, else at the key.</summary>
    public void Error(string key, string message) =>
        errors.Add(new ConfigError(map[key] is SettingScalar scalar ? scalar.Location : map.KeyLocation(key), $"{PathOf(key)}: {message}"));

    /// <summary>The node under <paramref name="key"/>, marking the key as known.</summary>
    public SettingNode? Node(string key, bool required = false, string? example = null)
    {
        _known.Add(key);
        var node = map[key];
        if (node is null && required)
        {
            var hint = example is null ? "" : $"; add e.g. {example}";
            errors.Add(new ConfigError(map.Location, $"{PathOf(key)} is required in {description}{hint}"));
        }

        return node;
    }

    public SettingScalar? Scalar(string key, bool required = false, string? example = null)
    {
        switch (Node(key, required, example))
        {
            case SettingScalar { Value: not null } scalar:
                return scalar;
            case SettingScalar:
                if (required)
                {
                    Error(key, $"needs a value{(example is null ? "" : $"; write e.g. {example}")}");
                }

                return null;
            case { } other:
                Error(key, $"must be a single value, not {Describe(other)}");
                return null;
            default:
                return null;
        }
    }

    public string? Text(string key, bool required = false, string? example = null) => Scalar(key, required, example)?.Value;

    public SettingsSection? Section(string key, string sectionDescription, bool required = false, string? example = null) =>
        Node(key, required, example) switch
        {
            SettingMap m => new SettingsSection(m, PathOf(key), sectionDescription, errors),
            SettingScalar { Value: null } => null,
            { } other => Wrong(key, other, "a mapping (indented 'key: value' lines)"),
            null => null,
        };

    public SettingList? List(string key, bool required = false, string? example = null) =>
        Node(key, required, example) switch
        {
            SettingList list => list,
            SettingScalar { Value: null } => null,
            { } other => Wrong<SettingList>(key, other, "a list (lines starting with '- ', or [a, b])"),
            null => null,
        };

    public T? Parse<T>(string key, T? defaultValue, TryParse<T> parse, string expected)
        where T : struct
    {
        var text = Text(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (parse(text, out var value))
        {
            return value;
        }

        Error(key, $"'{text}' is not {expected}");
        return null;
    }

    /// <summary>Reports every key no reader asked for, with the keys that are allowed here.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var (key, _) in map.Entries)
        {
            if (!_known.Contains(key))
            {
                var suggestion = Suggest(key) is { } near ? $"did you mean '{near}'? " : "";
                errors.Add(new ConfigError(map.KeyLocation(key),
                    $"unknown key '{key}' in {description}; {suggestion}expected one of: {string.Join(", ", _known)}"));
            }
        }
    }

    public static string Describe(SettingNode node) => node switch
    {
        SettingMap => "a mapping",
        SettingList => "a list",
        SettingScalar { Value: null } => "empty",
        SettingScalar s => $"'{s.Value}'",
        _ => "this",
    };

    private SettingsSection? Wrong(string key, SettingNode node, string expected) => Wrong<SettingsSection>(key, node, expected);

    private T? Wrong<T>(string key, SettingNode node, string expected)
        where T : class
    {
        Error(key, $"must be {expected}, not {Describe(node)}");
        return null;
    }

    private string? Suggest(string key) => Suggestion.Closest(key, _known);
}

/// <summary>A <c>TryParse</c>-shaped parser.</summary>
internal delegate bool TryParse<T>(string text, out T value);
