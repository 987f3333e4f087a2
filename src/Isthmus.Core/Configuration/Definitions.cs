namespace Isthmus.Configuration;

/// <summary>
/// The named definitions gathered from every file: code tables, connections and flows. A name may be defined
/// once across all files; a second definition is reported where it is written, naming the first.
/// </summary>
internal sealed class Definitions
{
    private static readonly string[] MainOnly = ["server", "store", "deliveries"];

    private readonly Dictionary<string, SourceLocation> _seen = new(StringComparer.Ordinal);

    public Dictionary<string, IReadOnlyDictionary<string, string>> CodeTables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Model.CodeTable> Tables { get; } = new(StringComparer.Ordinal);

    public List<KeyValuePair<string, SettingNode>> Entities { get; } = [];

    public List<ConnectionDefinition> Connections { get; } = [];

    public List<KeyValuePair<string, SettingNode>> Flows { get; } = [];

    public static Definitions Collect(IReadOnlyList<ConfigurationDocument> documents, List<ConfigError> errors)
    {
        var definitions = new Definitions();
        foreach (var document in documents)
        {
            definitions.Read(document, errors);
        }

        return definitions;
    }

    private void Read(ConfigurationDocument document, List<ConfigError> errors)
    {
        var root = new SettingsSection(document.Root, "", $"the top level of {document.DisplayName}", errors);
        if (document.IsMain)
        {
            // Read by HostSettingsReader; named here so they are not reported as unknown.
            foreach (var key in MainOnly)
            {
                root.Node(key);
            }
        }
        else
        {
            foreach (var key in MainOnly.Where(k => document.Root[k] is not null))
            {
                root.Node(key);
                root.Error(key, $"'{key}' can only be set in the main configuration file; included files hold include, codeTables, entities, connections and flows");
            }
        }

        root.Node("include"); // read by ConfigurationSources
        Each(root, "codeTables", "code table", errors, (name, node, at) => CodeTable(name, node, errors));
        Each(root, "connections", "connection", errors, (name, node, at) => Connection(name, node, at, errors));
        Each(root, "flows", "flow", errors, (name, node, at) => Flows.Add(new(name, node)));
        Each(root, "entities", "entity", errors, (name, node, at) => Entities.Add(new(name, node)));
        root.RejectUnknownKeys();
    }

    private void Each(SettingsSection root, string key, string what, List<ConfigError> errors, Action<string, SettingNode, SourceLocation> define)
    {
        var section = root.Section(key, $"'{key}'");
        foreach (var (name, node) in section?.Map.Entries ?? [])
        {
            var at = section!.Map.KeyLocation(name);
            if (_seen.TryGetValue($"{key}/{name}", out var first))
            {
                errors.Add(new ConfigError(at, $"{what} '{name}' is already defined at {first}; rename one of them or remove one definition"));
                continue;
            }

            _seen.Add($"{key}/{name}", at);
            define(name, node, at);
        }
    }

    private void CodeTable(string name, SettingNode node, List<ConfigError> errors)
    {
        if (node is not SettingMap map)
        {
            errors.Add(new ConfigError(node.Location, $"codeTables.{name}: a code table is a mapping of code: value lines, not {SettingsSection.Describe(node)}"));
            return;
        }

        // Long form: { normalize: [trim, upper], codes: { code: value } }; short form: code: value lines.
        var normalize = new List<Model.Normalizer>();
        if (map["codes"] is SettingMap codes)
        {
            var section = new SettingsSection(map, $"codeTables.{name}", $"code table '{name}'", errors);
            section.Node("codes");
            normalize = ModelReader.Normalize(section, errors);
            section.RejectUnknownKeys();
            map = codes;
        }

        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (code, value) in map.Entries)
        {
            if (value is SettingScalar { Value: { } text })
            {
                table[code] = text;
            }
            else
            {
                errors.Add(new ConfigError(value.Location, $"codeTables.{name}.{code}: the value must be a single value such as approved, not {SettingsSection.Describe(value)}"));
            }
        }

        CodeTables[name] = table;
        Tables[name] = new Model.CodeTable(name, map.Entries.Where(e => table.ContainsKey(e.Key)).Select(e => KeyValuePair.Create(e.Key, table[e.Key])).ToList(), normalize);
    }

    private void Connection(string name, SettingNode node, SourceLocation at, List<ConfigError> errors)
    {
        if (node is not SettingMap map)
        {
            errors.Add(new ConfigError(node.Location, $"connections.{name}: a connection is a mapping that starts with kind: (e.g. kind: http), not {SettingsSection.Describe(node)}"));
            return;
        }

        // Only 'kind' is read here; the connector validates the rest when the connection is created.
        var kind = new SettingsSection(map, $"connections.{name}", $"connection '{name}'", errors).Text("kind", required: true, example: "kind: http");
        if (kind is not null)
        {
            Connections.Add(new ConnectionDefinition(name, kind, map, at));
        }
    }
}
