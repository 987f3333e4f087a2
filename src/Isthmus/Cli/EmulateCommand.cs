using System.CommandLine;
using Isthmus.Emulation;
using Isthmus.Emulators;
using Spectre.Console;

namespace Isthmus.Cli;

/// <summary><c>isthmus emulate feishu --port 9200 --callback http://127.0.0.1:8080/hooks/feishu</c>: a local stand-in for a chat platform.</summary>
internal static class EmulateCommand
{
    public static Command Create()
    {
        var platform = new Argument<string>("platform") { Description = "The platform: " + string.Join(", ", EmulatorCatalog.Platforms.Keys.Order()) + "." };
        platform.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string>();
            if (!EmulatorCatalog.Platforms.ContainsKey(name))
            {
                r.AddError($"There is no emulator for '{name}'. Available: {string.Join(", ", EmulatorCatalog.Platforms.Keys.Order())}.");
            }
        });
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 9200 };
        var callback = new Option<string?>("--callback") { Description = "Where the platform sends callbacks, e.g. http://127.0.0.1:8080/hooks/feishu." };
        var command = new Command("emulate", "Run a local emulator of a chat platform's API and callbacks, for trying flows and for tests.")
        {
            platform, port, callback,
        };
        command.Subcommands.Add(EmulateRecordsCommand.Create());
        command.SetAction(async (parse, ct) =>
        {
            var options = new EmulatorOptions { Port = parse.GetValue(port), CallbackUrl = parse.GetValue(callback) };
            await using var emulator = EmulatorCatalog.Platforms[parse.GetValue(platform)!](options);
            try
            {
                await emulator.StartAsync(ct);
            }
            catch (IOException ex)
            {
                AnsiConsole.MarkupLine($"[red]Cannot listen on 127.0.0.1:{options.Port}: {Markup.Escape(ex.Message)}[/] Pick another with --port.");
                return 1;
            }

            var connection = emulator.Connection();
            AnsiConsole.MarkupLine($"[green]{emulator.Platform} emulator[/] on {emulator.BaseUrl}; callbacks to {Markup.Escape(emulator.CallbackUrl ?? "(none: pass --callback)")}");
            AnsiConsole.MarkupLine("Connection for isthmus.yaml:");
            // Plain console writes: these lines are copied into YAML, so they must not be wrapped to the terminal's width.
            // Named as the hook it calls back, so the printed YAML works as is.
            var name = emulator.CallbackUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Segments.Length > 1
                ? uri.Segments[^1].TrimEnd('/') : emulator.Platform;
            Console.Write(connection.ToYaml(name));

            AnsiConsole.MarkupLine($"Control API: GET {emulator.BaseUrl}/_emulator/sent · POST /_emulator/press · POST /_emulator/say · POST /_emulator/users (docs/emulators.md). Ctrl-C stops.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }
}
