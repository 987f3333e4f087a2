using System.Globalization;

namespace Isthmus.Configuration;

/// <summary>
/// Typed, located access to one mapping of settings (a connection, or a section inside it).
/// Every reader reports a problem through <see cref="Error"/> and returns <c>null</c>, so a connector
/// can read all its settings and have every mistake listed at once by <c>isthmus validate</c>.
/// </summary>
public sealed class ConnectionSettings
{
    private readonly List<ConfigError> _errors;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Creates settings for connection <paramref name="name"/> of kind <paramref name="kind"/>.</summary>
    public ConnectionSettings(string name, string kind, SettingMap map, List<ConfigError> errors, string path = "")
    {
        Name = name;
        Kind = kind;
        Map = map;
        _errors = errors;
        Path = path;
    }

    /// <summary>The connection's name.</summary>
    public string Name { get; }

    /// <summary>The connector kind.</summary>
    public string Kind { get; }

    /// <summary>The mapping read by this instance.</summary>
    public SettingMap Map { get; }

    /// <summary>Dotted path of this section inside the connection, for messages (empty at the top).</summary>
    public string Path { get; }

    /// <summary>Whether any error has been reported (for this connection or elsewhere in the same load).</summary>
    public bool HasErrors => _errors.Count > 0;

    /// <summary>Records an error at the location of <paramref name="key"/> (or of this section when absent).</summary>
    public void Error(string? key, string message)
    {
        var location = key is not null && Map[key] is { } node ? node.Location : Map.Location;
        var subject = key is null ? Qualify(null) : Qualify(key) + " ";
        _errors.Add(new ConfigError(location, $"connection '{Name}': {subject}{message}"));
    }

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool Has(string key) => Map[key] is not null;

    /// <summary>A string value; <c>null</c> when absent (an error when <paramref name="required"/>).</summary>
    public string? Text(string key, bool required = false, string? defaultValue = null)
    {
        _read.Add(key);
        switch (Map[key])
        {
            case null:
                if (required)
                {
                    _errors.Add(new ConfigError(Map.Location, $"connection '{Name}': '{Qualify(key)}' is required"));
                }

                return defaultValue;
            case SettingScalar s:
                return s.Value ?? defaultValue;
            default:
                Error(key, "must be a single value, not a list or mapping");
                return defaultValue;
        }
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive, returned lower-case).</summary>
    public string? OneOf(string key, IReadOnlyList<string> allowed, bool required = false, string? defaultValue = null)
    {
        var value = Text(key, required, defaultValue);
        if (value is null)
        {
            return null;
        }

        var lower = value.ToLowerInvariant();
        if (!allowed.Contains(lower))
        {
            Error(key, $"'{value}' is not one of: {string.Join(", ", allowed)}");
            return null;
        }

        return lower;
    }

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? WholeNumber(string key, int min, int max, int? defaultValue = null)
    {
        var text = Text(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(key, $"'{text}' must be a whole number from {min} to {max}");
            return null;
        }

        return value;
    }

    /// <summary>A boolean (<c>true</c>/<c>false</c>).</summary>
    public bool? Bool(string key, bool? defaultValue = null)
    {
        var text = Text(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!bool.TryParse(text, out var value))
        {
            Error(key, $"'{text}' must be true or false");
            return null;
        }

        return value;
    }

    /// <summary>A duration such as <c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>.</summary>
    public TimeSpan? Duration(string key, TimeSpan? defaultValue = null)
    {
        var text = Text(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!SettingParsers.TryParseDuration(text, out var value))
        {
            Error(key, $"'{text}' is not a duration; write e.g. 500ms, 10s, 5m or 1h");
            return null;
        }

        return value;
    }

    /// <summary>A byte size such as <c>512KB</c> or <c>1MB</c>.</summary>
    public long? Size(string key, long? defaultValue = null)
    {
        var text = Text(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!SettingParsers.TryParseSize(text, out var value))
        {
            Error(key, $"'{text}' is not a size; write e.g. 512KB or 1MB");
            return null;
        }

        return value;
    }

    /// <summary>A rate such as <c>100/s</c> or <c>600/m</c>, as (permits, per period).</summary>
    public (int Permits, TimeSpan Period)? Rate(string key)
    {
        var text = Text(key);
        if (text is null)
        {
            return null;
        }

        if (!SettingParsers.TryParseRate(text, out var rate))
        {
            Error(key, $"'{text}' is not a rate; write e.g. 100/s, 600/m or 10/1s");
            return null;
        }

        return rate;
    }

    /// <summary>The nested mapping under <paramref name="key"/>, or <c>null</c> when absent.</summary>
    public ConnectionSettings? Section(string key, bool required = false)
    {
        _read.Add(key);
        switch (Map[key])
        {
            case null:
                if (required)
                {
                    _errors.Add(new ConfigError(Map.Location, $"connection '{Name}': '{Qualify(key)}' is required"));
                }

                return null;
            case SettingMap m:
                return new ConnectionSettings(Name, Kind, m, _errors, Qualify(key));
            default:
                Error(key, "must be a mapping (key: value lines)");
                return null;
        }
    }

    /// <summary>A mapping of string to string (e.g. headers).</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string key)
    {
        var section = Section(key);
        if (section is null)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, _) in section.Map.Entries)
        {
            if (section.Text(k) is { } v)
            {
                result[k] = v;
            }
        }

        return result;
    }

    /// <summary>Reports every key of this mapping that no reader asked for: usually a typo.</summary>
    public void RejectUnknownKeys(params string[] alsoAllowed)
    {
        foreach (var (k, node) in Map.Entries)
        {
            if (!_read.Contains(k) && !alsoAllowed.Contains(k))
            {
                _errors.Add(new ConfigError(node.Location, $"connection '{Name}': unknown setting '{Qualify(k)}'"));
            }
        }
    }

    private string Qualify(string? key) => key is null ? (Path.Length == 0 ? "" : Path + ": ") : (Path.Length == 0 ? key : $"{Path}.{key}");
}
