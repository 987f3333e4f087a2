using YamlDotNet.Core.Events;

namespace Isthmus.Configuration;

/// <summary>Mappings: duplicate keys and merge keys.</summary>
internal sealed partial class YamlSettingsReader
{
    private SettingMap ReadMapping(MappingStart start)
    {
        var entries = new List<KeyValuePair<string, SettingNode>>();
        var keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var merged = new List<KeyValuePair<string, SettingNode>>();
        while (Accept<MappingEnd>() is null)
        {
            var keyStart = _parser.Current!.Start;
            var keyNode = ReadNode();
            var value = ReadNode();
            if (keyNode is not SettingScalar { Value: { } key })
            {
                _errors.Add(new ConfigError(At(keyStart), "a key must be plain text (not empty, a list or a mapping)"));
                continue;
            }

            if (key == "<<" && !((SettingScalar)keyNode).Quoted)
            {
                Merge(value, merged);
                continue;
            }

            if (keys.TryGetValue(key, out var first))
            {
                _errors.Add(new ConfigError(At(keyStart), $"key '{key}' appears twice in the same mapping (first at {first}); keep only one"));
                continue;
            }

            keys.Add(key, At(keyStart));
            entries.Add(new(key, value));
        }

        // A merge key ('<<: *defaults') supplies the keys this mapping does not write itself.
        foreach (var entry in merged.Where(e => !keys.ContainsKey(e.Key)))
        {
            keys.Add(entry.Key, entry.Value.Location);
            entries.Add(entry);
        }

        return new SettingMap(entries, At(start.Start)) { KeyLocations = keys };
    }

    private void Merge(SettingNode value, List<KeyValuePair<string, SettingNode>> merged)
    {
        var sources = value is SettingList list ? list.Items : [value];
        foreach (var source in sources)
        {
            if (source is SettingMap map)
            {
                merged.AddRange(map.Entries.Where(e => merged.All(m => m.Key != e.Key)));
            }
            else
            {
                _errors.Add(new ConfigError(source.Location, "'<<' merges a mapping, e.g. <<: *defaults; this is not a mapping"));
            }
        }
    }
}
