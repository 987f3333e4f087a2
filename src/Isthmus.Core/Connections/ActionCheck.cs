using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Flows;

namespace Isthmus.Connections;

/// <summary>
/// Checks, when a configuration loads, that every action step names a connection that can act and an action
/// (<c>do:</c>) that connection performs — so a typo is an error with its line, not a dead letter at 3 a.m.
/// </summary>
public static class ActionCheck
{
    /// <summary>Adds an error for each action step its connector cannot perform.</summary>
    public static void Check(IEnumerable<Flow> flows, ConnectorSet connectors, List<ConfigError> errors)
    {
        foreach (var flow in flows)
        {
            foreach (var step in Actions(flow.Steps))
            {
                if (!connectors.All.TryGetValue(step.Connection, out var connector))
                {
                    continue; // An unknown connection is reported by the flow reader.
                }

                if (connector is not IOutboundConnector outbound)
                {
                    errors.Add(new ConfigError(step.Location,
                        $"flow '{flow.Name}', step '{step.Name}': connection '{step.Connection}' only receives events; it cannot perform actions"));
                }
                else if (outbound.Actions is { } known && !known.Contains(step.Action))
                {
                    var near = Suggestion.Closest(step.Action, known) is { } n ? $"did you mean '{n}'? " : "";
                    errors.Add(new ConfigError(step.Location,
                        $"flow '{flow.Name}', step '{step.Name}': connection '{step.Connection}' has no action '{step.Action}'; {near}it offers: {string.Join(", ", known.Order())}"));
                }
            }
        }
    }

    private static IEnumerable<ActionStep> Actions(IEnumerable<Step> steps)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case ActionStep action:
                    yield return action;
                    break;
                case BranchStep branch:
                    foreach (var inner in Actions(branch.Then.Concat(branch.Else)))
                    {
                        yield return inner;
                    }

                    break;
            }
        }
    }
}
