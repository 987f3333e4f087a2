using Isthmus.Expressions;
using Isthmus.Flows;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Sync;

namespace Isthmus.Configuration;

/// <summary>Reads <c>entities:</c> — fields, rules, identity matching, sync policy and mappings — with a located error for every mistake.</summary>
internal sealed class ModelReader(ExpressionEngine expressions, IReadOnlyDictionary<string, CodeTable> tables, ISet<string> connections, List<ConfigError> errors)
{
    private static readonly string[] Kinds = ["string", "number", "decimal", "date", "datetime", "bool", "enum", "ref", "list"];

    public DataModel Read(IReadOnlyList<KeyValuePair<string, SettingNode>> entities)
    {
        var names = entities.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var list = new List<EntityDefinition>();
        foreach (var (name, node) in entities)
        {
            if (node is not SettingMap map)
            {
                errors.Add(new ConfigError(node.Location, $"entities.{name}: an entity is a mapping with fields: (and optionally sync: and mappings:), not {SettingsSection.Describe(node)}"));
                continue;
            }

            if (Entity(name, new SettingsSection(map, $"entities.{name}", $"entity '{name}'", errors), names) is { } entity)
            {
                list.Add(entity);
            }
        }

        return new DataModel(TranslatedRefs(list), tables);
    }

    /// <summary>A <c>ref</c> field (or a list of refs) mapped on a connection where its entity is mapped too is translated through that entity's links.</summary>
    private static List<EntityDefinition> TranslatedRefs(List<EntityDefinition> entities)
    {
        string? Target(FieldMapping field, Mapping mapping) =>
            field.Field.Refers
                ? entities.FirstOrDefault(e => e.Name == field.Field.RefEntity)?.Mappings.FirstOrDefault(m => m.Connection == mapping.Connection)?.RecordType
                : null;

        return entities.Select(e => e.Mappings.Any(m => m.Fields.Any(f => Target(f, m) is not null))
            ? e with { Mappings = e.Mappings.Select(m => m with { Fields = m.Fields.Select(f => Target(f, m) is { } type ? f with { RefRecordType = type } : f).ToList() }).ToList() }
            : e).ToList();
    }

    private EntityDefinition? Entity(string name, SettingsSection section, ISet<string> entityNames)
    {
        var label = Text(section, "label");
        var description = Text(section, "description");
        var fieldsSection = section.Section("fields", $"the fields of entity '{name}'", required: true, example: "fields: { name: string }");
        var fields = new List<FieldDefinition>();
        foreach (var (fieldName, node) in fieldsSection?.Map.Entries ?? [])
        {
            if (Field(fieldsSection!, fieldName, node, entityNames) is { } field)
            {
                fields.Add(field);
            }
        }

        var byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var rules = Rules(section, byName);
        var match = Match(section, byName);
        var mappings = new List<Mapping>();
        var mappingsSection = section.Section("mappings", $"the mappings of entity '{name}'");
        foreach (var (mappingName, node) in mappingsSection?.Map.Entries ?? [])
        {
            if (node is not SettingMap map)
            {
                mappingsSection!.Error(mappingName, "must be a mapping with records: and fields:");
                continue;
            }

            if (ReadMapping(name, mappingName, new SettingsSection(map, mappingsSection!.PathOf(mappingName), $"mapping '{mappingName}' of entity '{name}'", errors), byName) is { } mapping)
            {
                mappings.Add(mapping);
            }
        }

        var policy = Policy(section, byName, mappings);
        section.RejectUnknownKeys();
        return policy is null ? null : new EntityDefinition(name, label, description, fields, rules, match, policy, mappings);
    }

    private FieldDefinition? Field(SettingsSection fields, string name, SettingNode node, ISet<string> entityNames)
    {
        var section = node switch
        {
            SettingScalar { Value: { } kind } s => new SettingsSection(new SettingMap([new("type", s)], s.Location), fields.PathOf(name), $"field '{name}'", errors),
            SettingMap m => new SettingsSection(m, fields.PathOf(name), $"field '{name}'", errors),
            _ => null,
        };
        if (section is null)
        {
            fields.Error(name, $"write the field's type (e.g. {name}: string) or a mapping with type:");
            return null;
        }

        var type = Kind(section, "type", required: true);
        var values = section.List("values")?.Items.OfType<SettingScalar>().Select(v => v.Value ?? "").ToList() ?? [];
        if (type == FieldKind.Enum && values.Count == 0)
        {
            section.Error("type", "an enum needs values: [a, b, c]");
        }

        var item = type == FieldKind.List ? Kind(section, "of", required: false) ?? FieldKind.String : (FieldKind?)null;
        var refEntity = section.Text("entity");
        if ((type == FieldKind.Ref || item == FieldKind.Ref) && (refEntity is null || !entityNames.Contains(refEntity)))
        {
            section.Error(refEntity is null ? (type == FieldKind.Ref ? "type" : "of") : "entity", refEntity is null
                ? $"a {(type == FieldKind.Ref ? "ref" : "list of refs")} needs entity: <name of the entity it points at>"
                : $"there is no entity '{refEntity}'; declared: {string.Join(", ", entityNames)}");
        }

        var required = section.Parse<bool>("required", false, bool.TryParse, "true or false") ?? false;
        var normalize = Normalize(section, errors);
        var label = Text(section, "label");
        var description = Text(section, "description");
        section.RejectUnknownKeys();
        return type is null ? null : new FieldDefinition(name, type.Value, required, values, refEntity, item, normalize, label, description);
    }

    private static FieldKind? Kind(SettingsSection section, string key, bool required)
    {
        var text = section.Text(key, required, "type: string");
        if (text is null)
        {
            return null;
        }

        var index = Array.IndexOf(Kinds, text);
        if (index < 0)
        {
            var near = Suggestion.Closest(text, Kinds);
            section.Error(key, $"'{text}' is not a field type; {(near is null ? "" : $"did you mean '{near}'? ")}use one of {string.Join(", ", Kinds)}");
            return null;
        }

        return (FieldKind)index;
    }

    /// <summary>Reads a <c>normalize:</c> list (of a field or of a code table).</summary>
    internal static List<Normalizer> Normalize(SettingsSection section, List<ConfigError> errors)
    {
        var list = new List<Normalizer>();
        foreach (var item in section.List("normalize")?.Items ?? [])
        {
            if (item is SettingScalar { Value: { } n } && Normalizers.ByName.TryGetValue(n, out var normalizer))
            {
                list.Add(normalizer);
            }
            else
            {
                errors.Add(new ConfigError(item.Location, $"{section.PathOf("normalize")}: {SettingsSection.Describe(item)} is not a normalizer; use one of {string.Join(", ", Normalizers.ByName.Keys)}"));
            }
        }

        return list;
    }

    private static Text Text(SettingsSection section, string key) => section.Node(key) switch
    {
        SettingScalar { Value: { } s } => new Text(new Dictionary<string, string> { ["en"] = s }),
        SettingMap m => new Text(m.Entries.Where(e => e.Value is SettingScalar { Value: not null }).ToDictionary(e => e.Key, e => ((SettingScalar)e.Value).Value!)),
        _ => Model.Text.None,
    };

    private List<ValidationRule> Rules(SettingsSection section, Dictionary<string, FieldDefinition> fields)
    {
        var rules = new List<ValidationRule>();
        var list = section.List("rules");
        for (var i = 0; i < (list?.Items.Count ?? 0); i++)
        {
            if (list!.Items[i] is not SettingMap map)
            {
                errors.Add(new ConfigError(list.Items[i].Location, $"{section.PathOf("rules")}[{i}]: a rule is a mapping with check: and message:"));
                continue;
            }

            var rule = new SettingsSection(map, $"{section.PathOf("rules")}[{i}]", "a validation rule", errors);
            var check = rule.Scalar("check", required: true, example: "check: entity.amount >= 0");
            var message = rule.Text("message", required: true, example: "message: the amount cannot be negative");
            var name = rule.Text("name") ?? $"rule {i + 1}";
            var field = rule.Text("field");
            if (field is not null && !fields.ContainsKey(field))
            {
                rule.Error("field", $"there is no field '{field}'");
            }

            rule.RejectUnknownKeys();
            var compiled = check is null ? null : expressions.Compile(check.Value!, check.Location, errors, rule.PathOf("check"));
            if (compiled is not null && message is not null)
            {
                rules.Add(new ValidationRule(name, compiled, message, field));
            }
        }

        return rules;
    }

    private List<IReadOnlyList<string>> Match(SettingsSection section, Dictionary<string, FieldDefinition> fields)
    {
        var rules = new List<IReadOnlyList<string>>();
        foreach (var item in section.List("match")?.Items ?? [])
        {
            var names = item switch
            {
                SettingScalar { Value: { } one } => [one],
                SettingList many => many.Items.OfType<SettingScalar>().Select(s => s.Value ?? "").ToList(),
                _ => new List<string>(),
            };
            var unknown = names.Where(n => !fields.ContainsKey(n)).ToList();
            if (names.Count == 0 || unknown.Count > 0)
            {
                errors.Add(new ConfigError(item.Location, $"{section.PathOf("match")}: {(unknown.Count > 0 ? $"there is no field '{unknown[0]}'" : "write a field, or a list of fields that together identify a record")}"));
                continue;
            }

            rules.Add(names);
        }

        return rules;
    }

    private static SyncPolicy? Policy(SettingsSection entity, Dictionary<string, FieldDefinition> fields, List<Mapping> mappings)
    {
        var section = entity.Section("sync", "the sync policy");
        if (section is null)
        {
            return SyncPolicy.Standard;
        }

        var mapped = mappings.Select(m => m.Connection).ToHashSet(StringComparer.Ordinal);
        var defaultPolicy = Winner(section, "wins", mapped) ?? FieldPolicy.LastWriter;
        var perField = new Dictionary<string, FieldPolicy>(StringComparer.Ordinal);
        var fieldSection = section.Section("fields", "per-field winners");
        foreach (var (name, _) in fieldSection?.Map.Entries ?? [])
        {
            if (!fields.ContainsKey(name))
            {
                fieldSection!.Error(name, $"there is no field '{name}'");
                fieldSection.Node(name);
                continue;
            }

            if (Winner(fieldSection!, name, mapped) is { } policy)
            {
                perField[name] = policy;
            }
        }

        fieldSection?.RejectUnknownKeys();
        var deletes = section.Text("deletes") switch
        {
            null or "soft" => DeletePolicy.Soft,
            "propagate" => DeletePolicy.Propagate,
            "ignore" => DeletePolicy.Ignore,
            var other => Bad(section, "deletes", $"'{other}' is not a delete policy; use propagate, soft or ignore"),
        };
        var reconcileText = section.Text("reconcile");
        var reconcile = reconcileText is null ? null : FlowReader.Cron(section, reconcileText, "reconcile");
        var zone = section.Text("timeZone") is { } zoneText ? FlowReader.Zone(section, zoneText) : TimeZoneInfo.Utc;
        section.RejectUnknownKeys();
        return new SyncPolicy(defaultPolicy, perField, deletes ?? DeletePolicy.Soft, reconcile) { TimeZone = zone ?? TimeZoneInfo.Utc };
    }

    private static DeletePolicy? Bad(SettingsSection section, string key, string message)
    {
        section.Error(key, message);
        return null;
    }

    private static FieldPolicy? Winner(SettingsSection section, string key, ISet<string> mapped)
    {
        var text = section.Text(key);
        switch (text)
        {
            case null:
                return null;
            case "lww" or "last-writer":
                return FieldPolicy.LastWriter;
            case "manual":
                return new FieldPolicy(WinnerKind.Manual, null);
            default:
                if (mapped.Contains(text))
                {
                    return new FieldPolicy(WinnerKind.Owner, text);
                }

                section.Error(key, $"'{text}' is not a winner; write lww, manual, or the name of a connection this entity is mapped to ({string.Join(", ", mapped)})");
                return null;
        }
    }

    private Mapping? ReadMapping(string entity, string name, SettingsSection section, Dictionary<string, FieldDefinition> fields)
    {
        var connection = section.Text("connection") ?? name;
        if (!connections.Contains(connection))
        {
            section.Errors.Add(new ConfigError(section.Map.Location, $"{section.Path}: there is no connection '{connection}'; name the mapping after a connection or add connection: <name>"));
        }

        var recordType = section.Text("records", required: true, example: "records: customers");
        var direction = section.Text("direction") switch
        {
            null or "both" => SyncDirection.Both,
            "in" => SyncDirection.In,
            "out" => SyncDirection.Out,
            var other => BadDirection(section, "direction", other),
        };
        var ifMatch = section.Parse<bool>("ifMatch", true, bool.TryParse, "true or false") ?? true;
        var poll = section.Parse<TimeSpan>("poll", null, SettingParsers.TryParseDuration, "a duration such as 30s or 5m");
        var fullText = section.Text("fullSync");
        var full = fullText is null ? null : FlowReader.Cron(section, fullText, "fullSync");
        var createId = section.Scalar("createId") is { } c ? expressions.Compile(c.Value!, c.Location, errors, section.PathOf("createId")) : null;
        var changes = Changes(section);
        var fieldMappings = new List<FieldMapping>();
        var fieldsSection = section.Section("fields", "field mappings", required: true, example: "fields: { name: company_name }");
        foreach (var (fieldName, node) in fieldsSection?.Map.Entries ?? [])
        {
            fieldsSection!.Node(fieldName);
            if (!fields.TryGetValue(fieldName, out var field))
            {
                var near = Suggestion.Closest(fieldName, fields.Keys);
                fieldsSection.Error(fieldName, $"entity {entity} has no field '{fieldName}'{(near is null ? "" : $"; did you mean '{near}'?")}");
                continue;
            }

            if (FieldMap(fieldsSection, fieldName, node, field, direction) is { } fm)
            {
                fieldMappings.Add(fm);
            }
        }

        section.RejectUnknownKeys();
        return recordType is null || direction is null
            ? null
            : new Mapping(entity, connection, recordType, direction.Value, fieldMappings, changes, poll, full, createId, ifMatch, section.Map.Location);
    }

    private FieldMapping? FieldMap(SettingsSection fields, string name, SettingNode node, FieldDefinition field, SyncDirection? mappingDirection)
    {
        if (node is SettingScalar { Value: { } path })
        {
            return new FieldMapping(field, path.Split('.'), null, null, null, mappingDirection ?? SyncDirection.Both);
        }

        if (node is not SettingMap map)
        {
            fields.Error(name, "write the record field (e.g. company_name) or a mapping with path:, in:, out:, codes:");
            return null;
        }

        var section = new SettingsSection(map, fields.PathOf(name), $"the mapping of field '{name}'", errors);
        var pathText = section.Text("path", required: true, example: "path: company_name");
        var inExpr = section.Scalar("in") is { } i ? expressions.Compile(i.Value!, i.Location, errors, section.PathOf("in")) : null;
        var outExpr = section.Scalar("out") is { } o ? expressions.Compile(o.Value!, o.Location, errors, section.PathOf("out")) : null;
        CodeTable? codes = null;
        if (section.Text("codes") is { } table && !tables.TryGetValue(table, out codes))
        {
            section.Error("codes", $"there is no code table '{table}'; declared: {(tables.Count == 0 ? "none" : string.Join(", ", tables.Keys))}");
        }

        var direction = section.Text("direction") switch
        {
            null => mappingDirection ?? SyncDirection.Both,
            "in" => SyncDirection.In,
            "out" => SyncDirection.Out,
            "both" => SyncDirection.Both,
            var other => BadDirection(section, "direction", other),
        };
        section.RejectUnknownKeys();
        return pathText is null || direction is null ? null : new FieldMapping(field, pathText.Split('.'), inExpr, outExpr, codes, direction.Value);
    }

    private static SyncDirection? BadDirection(SettingsSection section, string key, string value)
    {
        section.Error(key, $"'{value}' is not a direction; use in, out or both");
        return null;
    }

    private ChangeNotifications? Changes(SettingsSection mapping)
    {
        var section = mapping.Section("changes", "where change notifications come from");
        if (section is null)
        {
            return null;
        }

        var connection = section.Text("connection", required: true, example: "connection: crm-hooks");
        if (connection is not null && !connections.Contains(connection))
        {
            section.Error("connection", $"there is no connection '{connection}'");
        }

        var type = section.Text("type") ?? "*";
        Expression? Expr(string key, string? fallback)
        {
            var scalar = section.Scalar(key);
            var text = scalar?.Value ?? fallback;
            return text is null ? null : expressions.Compile(text, scalar?.Location ?? section.Map.Location, errors, section.PathOf(key));
        }

        var record = Expr("record", "data.record");
        var id = Expr("id", "data.recordId");
        var version = Expr("version", "data.version");
        var updatedAt = Expr("updatedAt", "data.time");
        var deleted = Expr("deleted", "event.type.endsWith('.deleted')");
        var when = Expr("when", null);
        section.RejectUnknownKeys();
        return connection is null || record is null || id is null || deleted is null
            ? null
            : new ChangeNotifications(connection, new EventTypePattern(type), record, id, version, updatedAt, deleted, when);
    }
}
