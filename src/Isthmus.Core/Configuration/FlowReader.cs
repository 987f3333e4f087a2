using Cronos;
using Isthmus.Expressions;
using Isthmus.Flows;

namespace Isthmus.Configuration;

/// <summary>Compiles one entry of <c>flows:</c> into a <see cref="Flow"/>, reporting every problem in it.</summary>
internal sealed class FlowReader(ExpressionEngine engine, IReadOnlySet<string> connections, List<ConfigError> errors)
{
    public Flow? Read(string name, SettingNode node)
    {
        var path = $"flows.{name}";
        if (node is not SettingMap map)
        {
            errors.Add(new ConfigError(node.Location, $"{path}: a flow must be a mapping with at least trigger: and steps:, not {SettingsSection.Describe(node)}"));
            return null;
        }

        var before = errors.Count;
        var flow = new SettingsSection(map, path, $"flow '{name}'", errors);
        var steps = new StepReader(engine, connections, name, errors);
        flow.Text("description");
        var enabled = flow.Parse<bool>("enabled", true, bool.TryParse, "true or false");
        var trigger = Trigger(flow);
        var condition = flow.Scalar("when") is { } when ? steps.Compile(when, flow.PathOf("when")) : null;
        var change = OnlyOnChange(flow, steps);
        var list = flow.List("steps", required: true, example: "steps: [ { action: notify, connection: erp, body: \"=data\" } ]");
        flow.RejectUnknownKeys();
        var compiled = list is null ? [] : steps.ReadList(list, flow.PathOf("steps"));
        if (list is { Items.Count: 0 })
        {
            flow.Error("steps", "the flow has no steps; add at least one transform, action or if step");
        }

        return errors.Count == before ? new Flow(name, enabled ?? true, trigger!, condition, change, compiled, map.Location) : null;
    }

    internal static string Declared(IReadOnlySet<string> connections) =>
        connections.Count == 0 ? "no connections are declared under connections:" : "declared: " + string.Join(", ", connections.Order(StringComparer.Ordinal));

    private FlowTrigger? Trigger(SettingsSection flow)
    {
        var trigger = flow.Section("trigger", $"the trigger of {flow.Path}", required: true, example: "trigger: { connection: oa, event: \"approval.*\" }");
        if (trigger is null)
        {
            return null;
        }

        var connection = trigger.Scalar("connection");
        var type = trigger.Scalar("event");
        var schedule = trigger.Scalar("schedule");
        var zone = trigger.Scalar("timeZone");
        trigger.RejectUnknownKeys();
        if (schedule is not null && (connection ?? type) is not null)
        {
            trigger.Error("schedule", "a trigger is either events (connection/event) or a schedule, not both; remove 'schedule' or 'connection'/'event'");
            return null;
        }

        if (schedule is null && connection is null && type is null)
        {
            errors.Add(new ConfigError(trigger.Map.Location, $"{trigger.Path}: say what starts the flow: connection: <name> (and event: \"type.*\"), or schedule: \"*/5 * * * *\""));
            return null;
        }

        if (connection is not null && !connections.Contains(connection.Value!))
        {
            trigger.Error("connection", $"there is no connection '{connection.Value}'; {Declared(connections)}");
        }

        if (schedule is null)
        {
            if (zone is not null)
            {
                trigger.Error("timeZone", "timeZone applies only to a schedule trigger; remove it");
            }

            return new FlowTrigger(connection?.Value, new EventTypePattern(type?.Value ?? "*"), null, TimeZoneInfo.Utc);
        }

        var cron = Cron(trigger, schedule.Value!);
        var timeZone = zone is null ? TimeZoneInfo.Utc : Zone(trigger, zone.Value!);
        return cron is null || timeZone is null ? null : new FlowTrigger(null, null, cron, timeZone);
    }

    internal static CronExpression? Cron(SettingsSection trigger, string text, string key = "schedule")
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
        if (fields is not (5 or 6))
        {
            trigger.Error(key, $"'{text}' has {fields} fields; write 5 (minute hour day month weekday, e.g. \"*/5 * * * *\") or 6 with seconds first");
            return null;
        }

        try
        {
            return CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            trigger.Error(key, $"'{text}' is not a valid cron expression: {e.Message}");
            return null;
        }
    }

    internal static TimeZoneInfo? Zone(SettingsSection trigger, string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            trigger.Error("timeZone", $"unknown time zone '{id}'; write an IANA name such as Asia/Shanghai or UTC");
            return null;
        }
    }

    private ChangeFilter? OnlyOnChange(SettingsSection flow, StepReader steps)
    {
        var change = flow.Section("onlyOnChange", $"onlyOnChange of {flow.Path}");
        if (change is null)
        {
            return null;
        }

        var value = change.Scalar("value", required: true, example: "value: data.status");
        var to = change.List("to");
        change.RejectUnknownKeys();
        var states = new List<string>();
        foreach (var item in to?.Items ?? [])
        {
            if (item is SettingScalar { Value: { } state })
            {
                states.Add(state);
            }
            else
            {
                errors.Add(new ConfigError(item.Location, $"{change.PathOf("to")}: each entry must be a single value such as approved, not {SettingsSection.Describe(item)}"));
            }
        }

        var expression = value is null ? null : steps.Compile(value, change.PathOf("value"));
        return expression is null ? null : new ChangeFilter(expression, to is null ? null : states);
    }
}
