namespace Isthmus.Configuration;

/// <summary>A node of the configuration tree as written, with its source location. <c>${ENV}</c> references are already substituted.</summary>
public abstract record SettingNode(SourceLocation Location);

/// <summary>A scalar as written (<c>null</c> for YAML's <c>~</c>/<c>null</c>/empty).</summary>
/// <param name="Quoted">Whether it was written in quotes (then it is always a string, never a number or boolean).</param>
public sealed record SettingScalar(string? Value, SourceLocation Location, bool Quoted = false) : SettingNode(Location);

/// <summary>A mapping; keys keep their order of appearance.</summary>
public sealed record SettingMap(IReadOnlyList<KeyValuePair<string, SettingNode>> Entries, SourceLocation Location)
    : SettingNode(Location)
{
    /// <summary>Where each key was written, when known; messages about a key (unknown, duplicate) point there.</summary>
    public IReadOnlyDictionary<string, SourceLocation>? KeyLocations { get; init; }

    /// <summary>Where <paramref name="key"/> was written: the key itself when known, else its value, else this mapping.</summary>
    public SourceLocation KeyLocation(string key) =>
        KeyLocations is not null && KeyLocations.TryGetValue(key, out var at) ? at : this[key]?.Location ?? Location;

    /// <summary>The node under <paramref name="key"/>, or <c>null</c>.</summary>
    public SettingNode? this[string key]
    {
        get
        {
            foreach (var (k, v) in Entries)
            {
                if (k == key)
                {
                    return v;
                }
            }

            return null;
        }
    }
}

/// <summary>A sequence.</summary>
public sealed record SettingList(IReadOnlyList<SettingNode> Items, SourceLocation Location) : SettingNode(Location);
