namespace Isthmus.Expressions;

/// <summary>What an expression can see while a run is evaluated.</summary>
/// <param name="Event">The envelope as JSON object: <c>id, type, source, subject, time, connection, entity, key</c>.</param>
/// <param name="Data">The event's data as UTF-8 JSON; visible as <c>data</c>.</param>
/// <param name="Now">The run's clock; <c>now()</c> returns it, so a replay evaluates the same way.</param>
public sealed record ExpressionInput(System.Text.Json.Nodes.JsonObject Event, ReadOnlyMemory<byte> Data, DateTimeOffset Now)
{
    /// <summary>What <c>findEntity()</c> and <c>linkedEntity()</c> read; <c>null</c> (mappings, rules) makes them an error.</summary>
    public IEntityLookup? Entities { get; init; }
}
