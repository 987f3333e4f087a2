using System.Text.Json.Nodes;
using Isthmus.Expressions;
using Isthmus.Mappings;
using Isthmus.Model;
using Isthmus.Storage;

namespace Isthmus.Sync;

/// <summary>
/// Answers <c>findEntity()</c> and <c>linkedEntity()</c> from the sync store: by id, through the identity-match index
/// of a one-field <c>match:</c> rule, or through a link. One instance serves one event's flows and keeps every answer,
/// so a flow that asks the same question in <c>when:</c> and in its steps reads the store once and sees one state.
/// </summary>
/// <remarks>
/// Expressions evaluate synchronously, so the store is asked synchronously too; the SQLite store answers reads
/// on the calling thread. A store failure stops the evaluation with <see cref="EntityLookupUnavailableException"/>
/// and the event is retried, so a busy store never turns into a failed run.
/// </remarks>
public sealed class EntityLookup(ISyncStore store, DataModel model, CancellationToken cancellationToken) : IEntityLookup
{
    private readonly Dictionary<string, JsonObject?> _answers = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public JsonObject? Find(string entity, string field, JsonNode? value)
    {
        var definition = Definition(entity);
        if (field == "id")
        {
            return Remember($"id\u001f{entity}\u001f{RecordMapper.Show(value)}", () => Load(definition, RecordMapper.Show(value)));
        }

        if (definition.Field(field) is not { } fieldDefinition)
        {
            var near = Configuration.Suggestion.Closest(field, definition.Fields.Select(f => f.Name));
            throw new EntityLookupException($"entity {entity} has no field '{field}'{(near is null ? "" : $"; did you mean '{near}'?")}");
        }

        var rule = MatchRule(definition, field);
        if (rule < 0)
        {
            throw new EntityLookupException(
                $"{entity}.{field} is not indexed for lookups: add \"match: [{field}]\" to entity {entity} (a match rule of that field alone), or look up by 'id'");
        }

        return Remember($"match\u001f{entity}\u001f{field}\u001f{value?.ToJsonString()}", () =>
        {
            // The same canonical form and match key the engine indexes the entity's own value under.
            var (coerced, error) = FieldValues.Coerce(fieldDefinition, value);
            var prefix = rule.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":";
            var key = error is not null || coerced is null
                ? null
                : new SyncWorkingSet(definition).MatchKeys(new Dictionary<string, JsonNode?>(StringComparer.Ordinal) { [field] = coerced })
                    .FirstOrDefault(k => k.StartsWith(prefix, StringComparison.Ordinal));
            return key is not null && Wait(() => store.MatchAsync(entity, [key], cancellationToken)).TryGetValue(key, out var id) ? Load(definition, id) : null;
        });
    }

    /// <inheritdoc/>
    public JsonObject? FindLinked(string entity, string connection, string recordId)
    {
        var definition = Definition(entity);
        var mapping = definition.Mappings.FirstOrDefault(m => m.Connection == connection)
            ?? throw new EntityLookupException(definition.Mappings.Count == 0
                ? $"entity {entity} has no mappings, so nothing is linked to it"
                : $"entity {entity} has no mapping to connection '{connection}'; it maps to {string.Join(", ", definition.Mappings.Select(m => m.Connection))}");
        return Remember($"link\u001f{entity}\u001f{connection}\u001f{recordId}", () =>
            Wait(() => store.LinksByRecordAsync(entity, connection, mapping.RecordType, [recordId], cancellationToken)) is [var link, ..]
                ? Load(definition, link.EntityId)
                : null);
    }

    /// <summary>The index of the match rule made of <paramref name="field"/> alone; -1 when there is none.</summary>
    internal static int MatchRule(EntityDefinition definition, string field)
    {
        for (var i = 0; i < definition.Match.Count; i++)
        {
            if (definition.Match[i] is [var only] && only == field)
            {
                return i;
            }
        }

        return -1;
    }

    private EntityDefinition Definition(string entity) => model.Entity(entity)
        ?? throw new EntityLookupException(model.Entities.Count == 0
            ? $"there is no entity '{entity}': no entities are declared (entities: in the configuration)"
            : $"there is no entity '{entity}'; declared: {string.Join(", ", model.Entities.Select(e => e.Name))}");

    private JsonObject? Remember(string question, Func<JsonObject?> ask)
    {
        if (!_answers.TryGetValue(question, out var answer))
        {
            _answers[question] = answer = ask();
        }

        return answer;
    }

    private JsonObject? Load(EntityDefinition definition, string? id)
    {
        if (id is null || Wait(() => store.EntitiesAsync(definition.Name, [id], cancellationToken)) is not [{ Deleted: false } entity])
        {
            return null;
        }

        var found = new JsonObject { ["id"] = entity.Id };
        foreach (var field in definition.Fields)
        {
            if (field.Name is not ("id" or "links"))
            {
                found[field.Name] = entity.Fields.GetValueOrDefault(field.Name)?.DeepClone();
            }
        }

        var links = new JsonObject();
        foreach (var link in Wait(() => store.LinksOfAsync(definition.Name, [entity.Id], cancellationToken)).OrderBy(l => l.Connection, StringComparer.Ordinal))
        {
            links[link.Connection] = link.RecordId;
        }

        found["links"] = links;
        return found;
    }

    private static T Wait<T>(Func<Task<T>> read)
    {
        try
        {
            return read().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            throw new EntityLookupUnavailableException($"the sync store could not answer an entity lookup: {e.Message}", e);
        }
    }
}
