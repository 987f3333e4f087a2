using Acornima.Ast;
using Isthmus.Flows;
using Isthmus.Model;
using Isthmus.Sync;
using Expression = Isthmus.Expressions.Expression;

namespace Isthmus.Configuration;

/// <summary>
/// Checks <c>findEntity()</c> and <c>linkedEntity()</c> calls when the configuration loads, so a misspelt entity,
/// a field with no match index or a use outside flows is reported with its <c>file:line:col</c> instead of failing runs.
/// Only names written as text literals can be checked; computed names are checked when the call runs.
/// </summary>
internal static class EntityLookupCheck
{
    private static readonly string[] Functions = ["findEntity", "linkedEntity"];

    public static void Check(IReadOnlyList<Flow> flows, DataModel model, List<ConfigError> errors)
    {
        foreach (var flow in flows)
        {
            foreach (var expression in Expressions(flow))
            {
                foreach (var call in Calls(expression))
                {
                    if (Problem(call, model) is { } problem)
                    {
                        errors.Add(new ConfigError(expression.Location, $"flows.{flow.Name}: {problem}"));
                    }
                }
            }
        }

        foreach (var entity in model.Entities)
        {
            var outside = entity.Rules.Select(r => r.Check)
                .Concat(entity.Mappings.SelectMany(m => m.Fields.SelectMany(f => new[] { f.In, f.Out }).Append(m.CreateId)
                    .Concat(m.Changes is { } c ? [c.Record, c.Id, c.Version, c.UpdatedAt, c.Deleted, c.When] : [])))
                .OfType<Expression>();
            foreach (var expression in outside)
            {
                foreach (var call in Calls(expression))
                {
                    errors.Add(new ConfigError(expression.Location,
                        $"entities.{entity.Name}: {Name(call)}() reads the model and works in flows only, not in rules, mappings or changes:"));
                }
            }
        }
    }

    private static string? Problem(CallExpression call, DataModel model)
    {
        var function = Name(call);
        if (call.Arguments.Count != 3)
        {
            return function == "findEntity"
                ? $"findEntity takes (entity, field, value), e.g. findEntity('Project', 'chatGroup', data.chat.id); it was given {call.Arguments.Count} argument(s)"
                : $"linkedEntity takes (entity, connection, recordId), e.g. linkedEntity('Project', 'oa', data.recordId); it was given {call.Arguments.Count} argument(s)";
        }

        if (Text(call.Arguments[0]) is not { } entityName)
        {
            return null;
        }

        if (model.Entity(entityName) is not { } entity)
        {
            var near = Suggestion.Closest(entityName, model.Entities.Select(e => e.Name));
            return $"{function}: there is no entity '{entityName}'" + (model.Entities.Count == 0
                ? "; declare it under entities:"
                : near is null ? $"; declared: {string.Join(", ", model.Entities.Select(e => e.Name))}" : $"; did you mean '{near}'?");
        }

        if (Text(call.Arguments[1]) is not { } second)
        {
            return null;
        }

        if (function == "linkedEntity")
        {
            return entity.Mappings.Any(m => m.Connection == second)
                ? null
                : $"linkedEntity: entity {entityName} has no mapping to connection '{second}'" +
                  (entity.Mappings.Count == 0 ? "" : $"; it maps to {string.Join(", ", entity.Mappings.Select(m => m.Connection))}");
        }

        if (second == "id")
        {
            return null;
        }

        if (entity.Field(second) is null)
        {
            var near = Suggestion.Closest(second, entity.Fields.Select(f => f.Name));
            return $"findEntity: entity {entityName} has no field '{second}'{(near is null ? "" : $"; did you mean '{near}'?")}";
        }

        return EntityLookup.MatchRule(entity, second) >= 0
            ? null
            : $"findEntity: {entityName}.{second} is not indexed for lookups; add \"match: [{second}]\" to entity {entityName} (a match rule of that field alone), or look up by 'id'";
    }

    private static IEnumerable<Expression> Expressions(Flow flow)
    {
        if (flow.Condition is { } condition)
        {
            yield return condition;
        }

        if (flow.OnlyOnChange is { } change)
        {
            yield return change.Value;
        }

        foreach (var expression in Steps(flow.Steps))
        {
            yield return expression;
        }
    }

    private static IEnumerable<Expression> Steps(IReadOnlyList<Step> steps) => steps.SelectMany(step => step switch
    {
        TransformStep t => t.Value.Expressions,
        ActionStep a => a.Payload.Expressions,
        BranchStep b => Steps(b.Then).Concat(Steps(b.Else)).Prepend(b.Condition),
        _ => [],
    });

    private static IEnumerable<CallExpression> Calls(Expression expression)
    {
        var pending = new Stack<Node>();
        if (expression.Prepared.Program is { } program)
        {
            pending.Push(program);
        }

        while (pending.TryPop(out var node))
        {
            if (node is CallExpression { Callee: Identifier { Name: var name } } call && Functions.Contains(name))
            {
                yield return call;
            }

            foreach (var child in node.ChildNodes)
            {
                pending.Push(child);
            }
        }
    }

    private static string Name(CallExpression call) => ((Identifier)call.Callee).Name;

    private static string? Text(Node node) => node is StringLiteral literal ? literal.Value : null;
}
