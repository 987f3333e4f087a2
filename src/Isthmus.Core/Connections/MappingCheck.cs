using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Model;
using Isthmus.Records;

namespace Isthmus.Connections;

/// <summary>
/// Checks, when a configuration loads, that every entity mapping names a connection that holds records and a record
/// type it serves, and that change notifications come from a connection that receives events.
/// </summary>
public static class MappingCheck
{
    /// <summary>Adds an error for each mapping its connections cannot serve.</summary>
    public static void Check(DataModel model, ConnectorSet connectors, List<ConfigError> errors)
    {
        foreach (var mapping in model.Entities.SelectMany(e => e.Mappings))
        {
            var where = $"entities.{mapping.Entity}.mappings.{mapping.Connection}";
            if (connectors.All.TryGetValue(mapping.Connection, out var connector))
            {
                if (connector is not IRecordConnector records)
                {
                    errors.Add(new ConfigError(mapping.Location, $"{where}: connection '{mapping.Connection}' holds no records; map entities to an http connection " +
                        "with records:, a sql connection, or a dingtalk connection with attendance:"));
                }
                else if (records.RecordTypes is { } types && !types.Contains(mapping.RecordType))
                {
                    var near = Suggestion.Closest(mapping.RecordType, types) is { } n ? $"did you mean '{n}'? " : "";
                    var offered = types.Count == 0 ? "it declares none" : "it serves: " + string.Join(", ", types.Order(StringComparer.Ordinal));
                    errors.Add(new ConfigError(mapping.Location, $"{where}.records: connection '{mapping.Connection}' has no record type '{mapping.RecordType}'; {near}{offered}"));
                }
                else if (mapping.Writes && records.ReadOnlyRecordTypes.Contains(mapping.RecordType))
                {
                    errors.Add(new ConfigError(mapping.Location, $"{where}: record type '{mapping.RecordType}' of connection '{mapping.Connection}' can only be read; " +
                        "add direction: in to the mapping"));
                }
            }

            if (mapping.Changes is { } changes && connectors.All.TryGetValue(changes.Connection, out var source) && source is not IInboundConnector)
            {
                errors.Add(new ConfigError(mapping.Location, $"{where}.changes: connection '{changes.Connection}' receives no events; " +
                    "change notifications come from a webhook connection (or another connection that receives events)"));
            }
        }
    }
}
