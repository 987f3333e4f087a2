using System.CommandLine;

namespace Isthmus.Cli;

/// <summary><c>isthmus runs</c>: the newest runs, or one run with its steps and deliveries.</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var id = new Argument<long?>("id") { Description = "Show one run with its steps and deliveries.", Arity = ArgumentArity.ZeroOrOne };
        var flow = new Option<string?>("--flow") { Description = "Only this flow." };
        var status = new Option<string?>("--status") { Description = "running, completed or failed." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "List runs, newest first.") { id, flow, status, limit };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(id) is { } one)
            {
                return ApiClient.RunAsync(parse, HttpMethod.Get, $"runs/{one}", null, Tables.PrintJson, ct);
            }

            var query = Query.Of(("flow", parse.GetValue(flow)), ("status", parse.GetValue(status)), ("limit", parse.GetValue(limit).ToString()));
            return ApiClient.RunAsync(parse, HttpMethod.Get, "runs" + query, null, page => Tables.Print(page.GetProperty("items"), ("id", "id"), ("event", "eventSeq"),
                ("flow", "flow"), ("key", "key"), ("status", "status"), ("started", "startedAt"), ("pending", "pendingDeliveries"), ("error", "error")), ct);
        });
        return command;
    }
}
