using System.Text.Json.Nodes;
using Isthmus.Expressions;
using Isthmus.Model;

namespace Isthmus.Mappings;

/// <summary>Why one value could not be mapped or does not fit its field: enough to find and fix it.</summary>
/// <param name="Rule">What it broke: <c>type</c>, <c>required</c>, <c>code table x</c>, <c>in</c>/<c>out</c> expression, or a rule name.</param>
public sealed record MappingProblem(string Field, string? Value, string Rule, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Field} = {Value ?? "null"}: {Message} ({Rule})";
}

/// <summary>
/// Turns a connection's record into model values and model values into the record's fields, through the mapping's
/// paths, expressions and code tables. Plain paths never touch the expression engine, so bulk loads stay fast.
/// </summary>
public static class RecordMapper
{
    /// <summary>The model values of <paramref name="record"/> for every field the mapping reads; problems instead when any value is wrong.</summary>
    public static (Dictionary<string, JsonNode?> Values, List<MappingProblem> Problems) In(Mapping mapping, JsonObject record, ExpressionEngine expressions, DateTimeOffset now)
    {
        var values = new Dictionary<string, JsonNode?>(mapping.Fields.Count, StringComparer.Ordinal);
        var problems = new List<MappingProblem>();
        EvaluationScope? scope = null;
        try
        {
            foreach (var field in mapping.Fields)
            {
                if (field.Direction == SyncDirection.Out)
                {
                    continue;
                }

                var raw = JsonPaths.Get(record, field.Path)?.DeepClone();
                var value = raw;
                if (field.In is { } expression)
                {
                    scope ??= Scope(expressions, now, "record", record);
                    scope.SetVariable("value", raw);
                    try
                    {
                        value = scope.Evaluate(expression);
                    }
                    catch (ExpressionException e)
                    {
                        problems.Add(new MappingProblem(field.Field.Name, Show(raw), "in", e.Message));
                        continue;
                    }
                }

                if (field.Codes is { } table && value is not null)
                {
                    var code = Show(value)!;
                    if (!table.TryValue(code, out var mapped))
                    {
                        problems.Add(new MappingProblem(field.Field.Name, code, $"code table {table.Name}",
                            $"code '{code}' is not in code table '{table.Name}'; add it there"));
                        continue;
                    }

                    value = JsonValue.Create(mapped);
                }

                var (coerced, error) = FieldValues.Coerce(field.Field, value);
                if (error is not null)
                {
                    problems.Add(new MappingProblem(field.Field.Name, Show(value), "type", $"{field.Field.Kind.ToString().ToLowerInvariant()} field: {error}"));
                    continue;
                }

                values[field.Field.Name] = coerced;
            }
        }
        finally
        {
            scope?.Dispose();
        }

        return (values, problems);
    }

    /// <summary>The record fields for the model values <paramref name="changed"/> (field → value), for a write.</summary>
    public static (JsonObject Fields, List<MappingProblem> Problems) Out(Mapping mapping, IReadOnlyDictionary<string, JsonNode?> changed,
        JsonObject entity, ExpressionEngine expressions, DateTimeOffset now)
    {
        var fields = new JsonObject();
        var problems = new List<MappingProblem>();
        EvaluationScope? scope = null;
        try
        {
            foreach (var field in mapping.Fields)
            {
                if (field.Direction == SyncDirection.In || !changed.TryGetValue(field.Field.Name, out var value))
                {
                    continue;
                }

                value = value?.DeepClone();
                if (field.Codes is { } table && value is not null)
                {
                    var text = Show(value)!;
                    if (!table.TryCode(text, out var code))
                    {
                        problems.Add(new MappingProblem(field.Field.Name, text, $"code table {table.Name}",
                            $"no code in code table '{table.Name}' stands for '{text}'; add one there"));
                        continue;
                    }

                    value = JsonValue.Create(code);
                }

                if (field.Out is { } expression)
                {
                    scope ??= Scope(expressions, now, "entity", entity);
                    scope.SetVariable("value", value);
                    try
                    {
                        value = scope.Evaluate(expression);
                    }
                    catch (ExpressionException e)
                    {
                        problems.Add(new MappingProblem(field.Field.Name, Show(value), "out", e.Message));
                        continue;
                    }
                }

                JsonPaths.Set(fields, field.Path, value);
            }
        }
        finally
        {
            scope?.Dispose();
        }

        return (fields, problems);
    }

    /// <summary>A value as text for messages and code lookups.</summary>
    public static string? Show(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    /// <summary>A scope with no event, where <paramref name="name"/> (<c>record</c> or <c>entity</c>) is <paramref name="value"/>.</summary>
    internal static EvaluationScope Scope(ExpressionEngine expressions, DateTimeOffset now, string name, JsonObject value)
    {
        var scope = expressions.CreateScope(new ExpressionInput(new JsonObject(), ReadOnlyMemory<byte>.Empty, now));
        scope.SetVariable(name, value);
        return scope;
    }
}
