using System.Text.Json.Nodes;

namespace Isthmus.Expressions;

/// <summary>
/// Read-only access to the unified model's entities for <c>findEntity()</c> and <c>linkedEntity()</c> in flow
/// expressions. Called synchronously from inside an evaluation, so an implementation answers from an index and
/// keeps what it read for the rest of the run.
/// </summary>
public interface IEntityLookup
{
    /// <summary>
    /// The entity whose <paramref name="field"/> (<c>id</c>, or a field that is a <c>match:</c> rule on its own) holds
    /// <paramref name="value"/>, as <c>{id, links: {connection: recordId}, ...fields}</c>; <c>null</c> when none does.
    /// Throws <see cref="EntityLookupException"/> when the question cannot be asked (an unknown entity or field).
    /// </summary>
    JsonObject? Find(string entity, string field, JsonNode? value);

    /// <summary>The entity linked to record <paramref name="recordId"/> of <paramref name="connection"/>, in the same shape; <c>null</c> when none is.</summary>
    JsonObject? FindLinked(string entity, string connection, string recordId);
}

/// <summary>A lookup that cannot be answered as asked; the message says what to write instead.</summary>
public sealed class EntityLookupException(string message) : Exception(message);

/// <summary>The store could not answer a lookup; the evaluation stops and the event is retried, not failed.</summary>
public sealed class EntityLookupUnavailableException(string message, Exception inner) : Exception(message, inner);
