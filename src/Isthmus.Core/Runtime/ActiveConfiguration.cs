using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Events;
using Isthmus.Flows;

namespace Isthmus.Runtime;

/// <summary>One configuration in force: its connectors and its flows indexed by trigger. Swapped whole on reload.</summary>
public sealed class ActiveConfiguration
{
    private readonly Dictionary<string, Flow[]> _byConnection;
    private readonly Flow[] _anyConnection;
    private readonly IReadOnlyDictionary<string, bool> _overrides;

    /// <summary>Indexes the flows of <paramref name="config"/>; <paramref name="overrides"/> are enable/disable switches set through the API.</summary>
    public ActiveConfiguration(IsthmusConfig config, ConnectorSet connectors, IReadOnlyDictionary<string, bool> overrides)
    {
        Config = config;
        Connectors = connectors;
        _overrides = overrides;
        _byConnection = config.Flows.Where(f => f.Trigger.Connection is not null)
            .GroupBy(f => f.Trigger.Connection!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _anyConnection = config.Flows.Where(f => f.Trigger.Connection is null && f.Trigger.EventType is not null).ToArray();
    }

    /// <summary>The configuration.</summary>
    public IsthmusConfig Config { get; }

    /// <summary>Its connectors.</summary>
    public ConnectorSet Connectors { get; }

    /// <summary>The API's enable/disable switches, by flow name.</summary>
    public IReadOnlyDictionary<string, bool> Overrides => _overrides;

    /// <summary>Whether a flow runs: its <c>enabled</c> setting unless the API overrode it.</summary>
    public bool IsEnabled(Flow flow) => _overrides.TryGetValue(flow.Name, out var on) ? on : flow.Enabled;

    /// <summary>The enabled flows whose trigger matches <paramref name="ev"/>.</summary>
    public IEnumerable<Flow> FlowsFor(StoredEvent ev)
    {
        if (ev.Connection == ScheduleTrigger.Connection)
        {
            var flow = Config.Flows.FirstOrDefault(f => f.Name == ev.Type[ScheduleTrigger.TypePrefix.Length..] && f.Trigger.Schedule is not null);
            if (flow is not null && IsEnabled(flow))
            {
                yield return flow;
            }

            yield break;
        }

        var candidates = _byConnection.TryGetValue(ev.Connection, out var flows) ? flows : [];
        foreach (var flow in candidates.Concat(_anyConnection))
        {
            if (IsEnabled(flow) && (ev.OnlyFlow is null || ev.OnlyFlow == flow.Name) && flow.Trigger.EventType!.Matches(ev.Type))
            {
                yield return flow;
            }
        }
    }

    /// <summary>A copy with other overrides.</summary>
    public ActiveConfiguration WithOverrides(IReadOnlyDictionary<string, bool> overrides) => new(Config, Connectors, overrides);
}

/// <summary>Scheduled flows are started by events the engine appends itself, so they are durable and deduplicated like any other.</summary>
public static class ScheduleTrigger
{
    /// <summary>The pseudo-connection of schedule events.</summary>
    public const string Connection = "$schedule";

    /// <summary>Schedule events are typed <c>schedule.&lt;flow&gt;</c>.</summary>
    public const string TypePrefix = "schedule.";
}
