using System.CommandLine;

namespace Isthmus.Cli;

/// <summary><c>isthmus events</c>: the newest events, or one event with its runs.</summary>
internal static class EventsCommand
{
    public static Command Create()
    {
        var seq = new Argument<long?>("seq") { Description = "Show one event with its runs.", Arity = ArgumentArity.ZeroOrOne };
        var connection = new Option<string?>("--connection") { Description = "Only this connection." };
        var type = new Option<string?>("--type") { Description = "Only this event type." };
        var key = new Option<string?>("--key") { Description = "Only this entity key." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 20 };
        var command = new Command("events", "List events, newest first.") { seq, connection, type, key, limit };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(seq) is { } one)
            {
                return ApiClient.RunAsync(parse, HttpMethod.Get, $"events/{one}", null, Tables.PrintJson, ct);
            }

            var query = Query.Of(("connection", parse.GetValue(connection)), ("type", parse.GetValue(type)), ("key", parse.GetValue(key)), ("limit", parse.GetValue(limit).ToString()));
            return ApiClient.RunAsync(parse, HttpMethod.Get, "events" + query, null, page => Tables.Print(page.GetProperty("items"), ("seq", "seq"), ("id", "id"),
                ("connection", "connection"), ("type", "type"), ("key", "key"), ("status", "status"), ("outcome", "outcome"), ("received", "receivedAt")), ct);
        });
        return command;
    }
}

internal static class Query
{
    public static string Of(params (string Name, string? Value)[] pairs)
    {
        var set = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join("&", set);
    }
}
