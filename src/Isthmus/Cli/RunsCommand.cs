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
        command.SetAction(async (parse, ct) =>
        {
            using var api = ApiClient.From(parse);
            if (parse.GetValue(id) is { } one)
            {
                var detail = await api.SendAsync(HttpMethod.Get, $"runs/{one}", ct);
                if (detail is null)
                {
                    return 1;
                }

                Tables.PrintJson(detail.Value);
                return 0;
            }

            var page = await api.SendAsync(HttpMethod.Get, "runs" + Query.Of(("flow", parse.GetValue(flow)), ("status", parse.GetValue(status)), ("limit", parse.GetValue(limit).ToString())), ct);
            if (page is null)
            {
                return 1;
            }

            Tables.Print(page.Value.GetProperty("items"), ("id", "id"), ("event", "eventSeq"), ("flow", "flow"), ("key", "key"), ("status", "status"),
                ("started", "startedAt"), ("pending", "pendingDeliveries"), ("error", "error"));
            return 0;
        });
        return command;
    }
}
