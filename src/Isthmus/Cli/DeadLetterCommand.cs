using System.CommandLine;

namespace Isthmus.Cli;

/// <summary><c>isthmus dlq list|show|replay|discard</c>: dead letters.</summary>
internal static class DeadLetterCommand
{
    public static Command Create()
    {
        var command = new Command("dlq", "Dead letters: deliveries that exhausted their retries or were refused.");
        var list = new Command("list", "List dead letters, newest first.");
        ApiClient.AddOptions(list);
        list.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, "dead-letters", null, page => Tables.Print(page.GetProperty("items"),
            ("id", "id"), ("run", "runId"), ("connection", "connection"), ("attempts", "attempts"), ("last status", "lastStatusCode"), ("error", "lastError")), ct));
        command.Subcommands.Add(list);
        command.Subcommands.Add(Action("show", "Show a dead letter with its attempts.", HttpMethod.Get, id => $"dead-letters/{id}"));
        command.Subcommands.Add(Action("replay", "Send a dead letter again (same idempotency key).", HttpMethod.Post, id => $"dead-letters/{id}/replay"));
        command.Subcommands.Add(Action("discard", "Drop a dead letter for good.", HttpMethod.Post, id => $"dead-letters/{id}/discard"));
        return command;
    }

    private static Command Action(string name, string description, HttpMethod method, Func<long, string> path)
    {
        var id = new Argument<long>("id") { Description = "The delivery id." };
        var command = new Command(name, description) { id };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) => ApiClient.RunAsync(parse, method, path(parse.GetValue(id)), null, Tables.PrintJson, ct));
        return command;
    }
}
