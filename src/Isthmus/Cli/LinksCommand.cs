using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Cli;

/// <summary><c>isthmus links list|set|remove</c>: which record in each system an entity corresponds to.</summary>
internal static class LinksCommand
{
    public static Command Create()
    {
        var command = new Command("links", "Links: the id of each entity's record in every system.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Remove());
        return command;
    }

    /// <summary>Prints links as a table.</summary>
    public static void Print(JsonElement links) =>
        Tables.Print(links, ("entity id", "entityId"), ("connection", "connection"), ("type", "recordType"), ("record id", "recordId"),
            ("version", "recordVersion"), ("source", "source"), ("synced", "syncedAt"), ("pending", "pendingWrites"), ("last error", "lastError"));

    private static Command List()
    {
        var entity = new Argument<string>("entity") { Description = "The entity, e.g. Customer." };
        var entityId = new Argument<string?>("entity-id") { Description = "Only this entity's links.", Arity = ArgumentArity.ZeroOrOne };
        var connection = new Option<string?>("--connection") { Description = "Links to this connection's records." };
        var recordType = new Option<string?>("--record-type") { Description = "The record type, when the entity maps to several on the connection." };
        var recordId = new Option<string?>("--record-id") { Description = "Only the link of this record (with --connection)." };
        var after = new Option<string?>("--after") { Description = "Page on from this entity id." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List links of one entity, of one record, or of a connection.") { entity, entityId, connection, recordType, recordId, after, limit };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, "links" + Query.Of(("entity", parse.GetValue(entity)),
            ("entityId", parse.GetValue(entityId)), ("connection", parse.GetValue(connection)), ("recordType", parse.GetValue(recordType)),
            ("recordId", parse.GetValue(recordId)), ("after", parse.GetValue(after)), ("limit", parse.GetValue(limit).ToString())), null, Print, ct));
        return command;
    }

    private static Command Set()
    {
        var entity = new Argument<string>("entity") { Description = "The entity, e.g. Customer." };
        var connection = new Option<string>("--connection") { Description = "The system the record is in.", Required = true };
        var recordId = new Option<string>("--record-id") { Description = "The record's id in that system.", Required = true };
        var recordType = new Option<string?>("--record-type") { Description = "The record type, when the entity maps to several on the connection." };
        var entityId = new Option<string?>("--entity-id") { Description = "Link to this existing entity (replacing its link to that connection); without it the record becomes a new entity." };
        var command = new Command("set", "Link a record to an entity by hand; the record is then read through the sync policy.") { entity, connection, recordId, recordType, entityId };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Put, "links", new JsonObject
        {
            ["entity"] = parse.GetValue(entity),
            ["entityId"] = parse.GetValue(entityId),
            ["connection"] = parse.GetValue(connection),
            ["recordType"] = parse.GetValue(recordType),
            ["recordId"] = parse.GetValue(recordId),
        }, Tables.PrintJson, ct));
        return command;
    }

    private static Command Remove()
    {
        var entity = new Argument<string>("entity") { Description = "The entity, e.g. Customer." };
        var entityId = new Argument<string>("entity-id") { Description = "The entity's id." };
        var connection = new Option<string>("--connection") { Description = "Unlink its record in this system.", Required = true };
        var recordType = new Option<string?>("--record-type") { Description = "The record type, when the entity maps to several on the connection." };
        var command = new Command("remove", "Unlink an entity from its record in one system (nothing is deleted; its queued writes there are dropped).") { entity, entityId, connection, recordType };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Delete,
            $"links/{Uri.EscapeDataString(parse.GetValue(entity)!)}/{Uri.EscapeDataString(parse.GetValue(entityId)!)}/{Uri.EscapeDataString(parse.GetValue(connection)!)}"
            + Query.Of(("recordType", parse.GetValue(recordType))), null, _ => Console.WriteLine("unlinked"), ct));
        return command;
    }
}
