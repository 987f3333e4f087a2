using System.CommandLine;
using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Cli;

/// <summary><c>isthmus validate</c>: lists every configuration error with <c>file:line:col</c>.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The main configuration file.", DefaultValueFactory = _ => new FileInfo("isthmus.yaml") };
        var command = new Command("validate", "Check a configuration and list every error.") { config };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(config)!;
            var (result, connectors, errors) = IsthmusHost.Load(path.FullName, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance));
            if (connectors is null)
            {
                Print(errors);
                return 1;
            }

            var loaded = result.Config!;
            connectors.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var counts = new[]
            {
                Count(loaded.Connections.Count, "connection"), Count(loaded.Flows.Count, "flow"),
                Count(loaded.Model.Entities.Count, "entity", "entities"), Count(loaded.Files.Count, "file"),
            };
            Console.WriteLine($"{path.Name}: valid — {string.Join(", ", counts)}.");
            return 0;
        });
        return command;
    }

    public static void Print(IReadOnlyList<ConfigError> errors)
    {
        foreach (var error in errors)
        {
            Console.Error.WriteLine(error.ToString());
        }

        Console.Error.WriteLine($"{Count(errors.Count, "error")}.");
    }

    private static string Count(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
