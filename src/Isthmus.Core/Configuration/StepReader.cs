using Isthmus.Expressions;
using Isthmus.Flows;

namespace Isthmus.Configuration;

/// <summary>Compiles a flow's <c>steps:</c> (and the <c>then:</c>/<c>else:</c> lists nested in <c>if</c> steps).</summary>
internal sealed class StepReader(ExpressionEngine engine, IReadOnlySet<string> connections, string flow, List<ConfigError> errors)
{
    private static readonly string[] Kinds = ["transform", "action", "if"];

    // Later steps read earlier outputs as steps.<name>, so a name must mean one step in the whole flow, nested or not.
    private readonly Dictionary<string, SourceLocation> _names = new(StringComparer.Ordinal);
    private int _branches;

    public IReadOnlyList<Step> ReadList(SettingList list, string path)
    {
        var steps = new List<Step>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (ReadStep(list.Items[i], $"{path}[{i}]") is { } step)
            {
                steps.Add(step);
            }
        }

        return steps;
    }

    private Step? ReadStep(SettingNode node, string path)
    {
        if (node is not SettingMap map)
        {
            errors.Add(new ConfigError(node.Location, $"{path}: a step must be a mapping that starts with transform:, action: or if:, not {SettingsSection.Describe(node)}"));
            return null;
        }

        var kinds = Kinds.Where(k => map[k] is not null).ToList();
        if (kinds.Count != 1)
        {
            var message = kinds.Count == 0
                ? $"{path}: a step needs one of 'transform: <name>', 'action: <name>' or 'if: <condition>'; it has: {string.Join(", ", map.Entries.Select(e => e.Key))}"
                : $"{path}: a step is exactly one of transform, action or if, but this one has '{kinds[0]}' and '{kinds[1]}'; split it into separate steps";
            errors.Add(new ConfigError(kinds.Count == 0 ? map.Location : map.KeyLocation(kinds[1]), message));
            return null;
        }

        var before = errors.Count;
        Step? step = kinds[0] switch
        {
            "transform" => Transform(new SettingsSection(map, path, $"transform step at {path}", errors)),
            "action" => Action(new SettingsSection(map, path, $"action step at {path}", errors)),
            _ => Branch(new SettingsSection(map, path, $"if step at {path}", errors)),
        };
        return errors.Count == before ? step : null;
    }

    private TransformStep? Transform(SettingsSection step)
    {
        var name = Name(step, "transform");
        var value = step.Node("value", required: true, example: "value: { id: \"=data.orderId\" }");
        step.RejectUnknownKeys();
        var template = value is null ? null : engine.CompileValue(value, errors, step.PathOf("value"));
        return name is null || template is null ? null : new TransformStep(name, template, step.Map.Location);
    }

    private ActionStep? Action(SettingsSection step)
    {
        var name = Name(step, "action");
        var connection = Connection(step);
        var action = step.Text("do") ?? "request";

        // Every other key is the action's payload, checked later by the connector that performs it.
        var reserved = new HashSet<string>(["action", "connection", "do"], StringComparer.Ordinal);
        var payload = new SettingMap([.. step.Map.Entries.Where(e => !reserved.Contains(e.Key))], step.Map.Location)
        {
            KeyLocations = step.Map.KeyLocations,
        };
        var template = engine.CompileValue(payload, errors, step.Path);
        return name is null || connection is null || template is null ? null : new ActionStep(name, connection, action, template, step.Map.Location);
    }

    private BranchStep? Branch(SettingsSection step)
    {
        _branches++;
        var condition = step.Scalar("if", required: true, example: "if: data.amount > 100000");
        var name = step.Scalar("name") is { } named ? Register(named.Value!, named.Location, step.PathOf("name")) : $"if-{_branches}";
        var expression = condition is null ? null : Compile(condition, step.PathOf("if"));
        var then = step.List("then", required: true, example: "then: [ { action: notify, connection: erp } ]");
        var otherwise = step.List("else");
        step.RejectUnknownKeys();
        var thenSteps = then is null ? [] : ReadList(then, step.PathOf("then"));
        var elseSteps = otherwise is null ? [] : ReadList(otherwise, step.PathOf("else"));
        return expression is null || name is null || then is null ? null : new BranchStep(name, expression, thenSteps, elseSteps, step.Map.Location);
    }

    private string? Name(SettingsSection step, string kind)
    {
        var scalar = step.Scalar(kind, required: true, example: $"{kind}: my-step");
        return scalar is null ? null : Register(scalar.Value!, scalar.Location, step.PathOf(kind));
    }

    private string? Register(string name, SourceLocation at, string path)
    {
        if (_names.TryGetValue(name, out var first))
        {
            errors.Add(new ConfigError(at, $"{path}: step name '{name}' is already used in flow '{flow}' (at {first}); give each step its own name, since later steps read steps.<name>"));
            return null;
        }

        _names.Add(name, at);
        return name;
    }

    private string? Connection(SettingsSection step)
    {
        var scalar = step.Scalar("connection", required: true, example: "connection: erp");
        if (scalar is null)
        {
            return null;
        }

        if (!connections.Contains(scalar.Value!))
        {
            errors.Add(new ConfigError(scalar.Location, $"{step.PathOf("connection")}: there is no connection '{scalar.Value}'; {FlowReader.Declared(connections)}"));
            return null;
        }

        return scalar.Value;
    }

    internal Expression? Compile(SettingScalar scalar, string path) => engine.Compile(scalar.Value!, TemplateCompiler.At(scalar, 0), errors, path);
}
