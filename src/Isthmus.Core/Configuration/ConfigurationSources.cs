namespace Isthmus.Configuration;

/// <summary>One file's root mapping, named for messages relative to the main file's folder.</summary>
internal sealed record ConfigurationDocument(string DisplayName, SettingMap Root, bool IsMain);

/// <summary>
/// Reads the main file and, depth first, every file its <c>include:</c> lists name, so definitions keep the order
/// they were written in. A file reached twice is read once; a file that includes itself, directly or not, is an error.
/// </summary>
internal sealed class ConfigurationSources
{
    private readonly string _baseDirectory;
    private readonly Func<string, string?> _environment;
    private readonly List<ConfigError> _errors;
    private readonly Stack<string> _including = new();
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private ConfigurationSources(string baseDirectory, Func<string, string?> environment, List<ConfigError> errors)
    {
        _baseDirectory = baseDirectory;
        _environment = environment;
        _errors = errors;
    }

    public List<ConfigurationDocument> Documents { get; } = [];

    /// <summary>Every file read, as full paths (the main file too when it was read from disk).</summary>
    public List<string> Files { get; } = [];

    /// <summary>Every include entry as an absolute path or glob, for the watcher to re-run.</summary>
    public List<string> IncludePatterns { get; } = [];

    public static ConfigurationSources Read(string text, string displayName, string? fullPath, string baseDirectory,
        Func<string, string?> environment, List<ConfigError> errors)
    {
        var sources = new ConfigurationSources(baseDirectory, environment, errors);
        var identity = fullPath ?? Path.GetFullPath(Path.Combine(baseDirectory, displayName));
        if (fullPath is not null)
        {
            sources.Files.Add(fullPath);
        }

        sources._read.Add(identity);
        sources.ReadDocument(text, displayName, identity, isMain: true);
        return sources;
    }

    private void ReadDocument(string text, string displayName, string identity, bool isMain)
    {
        var root = YamlSettingsReader.Read(text, displayName, _environment, _errors);
        if (root is not SettingMap map)
        {
            if (root is not null)
            {
                _errors.Add(new ConfigError(root.Location, "the file must be a mapping of sections such as 'connections:' and 'flows:'"));
            }

            return;
        }

        Documents.Add(new ConfigurationDocument(displayName, map, isMain));
        _including.Push(identity);
        var directory = Path.GetDirectoryName(identity) ?? _baseDirectory;
        foreach (var entry in Entries(map))
        {
            Include(entry, directory);
        }

        _including.Pop();
    }

    private IEnumerable<SettingScalar> Entries(SettingMap map)
    {
        switch (map["include"])
        {
            case null or SettingScalar { Value: null }:
                return [];
            case SettingScalar single:
                return [single];
            case SettingList list:
                var bad = list.Items.Where(i => i is not SettingScalar { Value: not null });
                foreach (var item in bad)
                {
                    _errors.Add(new ConfigError(item.Location, "include: each entry must be a file path or a glob such as flows/*.yaml"));
                }

                return list.Items.OfType<SettingScalar>().Where(s => s.Value is not null);
            case var other:
                _errors.Add(new ConfigError(other.Location, "include must be a list of file paths or globs, e.g. [flows/*.yaml]"));
                return [];
        }
    }

    private void Include(SettingScalar entry, string directory)
    {
        var pattern = IncludeGlob.Absolute(entry.Value!, directory);
        IncludePatterns.Add(pattern);
        var files = IncludeGlob.Expand(pattern);
        if (files.Count == 0 && !IncludeGlob.IsPattern(pattern))
        {
            _errors.Add(new ConfigError(entry.Location, $"include '{entry.Value}': file not found (looked for {pattern})"));
        }

        foreach (var file in files)
        {
            if (_including.Contains(file))
            {
                var chain = _including.Reverse().SkipWhile(f => f != file).Append(file).Select(Display);
                _errors.Add(new ConfigError(entry.Location, $"include '{entry.Value}' makes a cycle: {string.Join(" → ", chain)}; remove one of these includes"));
                continue;
            }

            if (!_read.Add(file))
            {
                continue;
            }

            Files.Add(file);
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _errors.Add(new ConfigError(entry.Location, $"include '{entry.Value}': cannot read {file}: {e.Message}"));
                continue;
            }

            ReadDocument(text, Display(file), file, isMain: false);
        }
    }

    private string Display(string file) => Path.GetRelativePath(_baseDirectory, file).Replace('\\', '/');
}
