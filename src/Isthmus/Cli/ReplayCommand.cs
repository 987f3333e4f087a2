using System.CommandLine;

namespace Isthmus.Cli;

/// <summary><c>isthmus replay event|run &lt;id&gt;</c>: run flows again, with fresh idempotency keys.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var command = new Command("replay", "Run an event's flows, or one run's flow, again.");
        foreach (var (name, path) in new[] { ("event", "events"), ("run", "runs") })
        {
            var id = new Argument<long>("id");
            var sub = new Command(name, $"Replay a {name}.") { id };
            ApiClient.AddOptions(sub);
            sub.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Post, $"{path}/{parse.GetValue(id)}/replay", null, Tables.PrintJson, ct));
            command.Subcommands.Add(sub);
        }

        return command;
    }
}
