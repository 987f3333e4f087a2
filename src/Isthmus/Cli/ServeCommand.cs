using System.CommandLine;
using Isthmus.Hosting;

namespace Isthmus.Cli;

/// <summary><c>isthmus serve --config isthmus.yaml</c>: runs a user's own configuration.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The main configuration file.", DefaultValueFactory = _ => new FileInfo("isthmus.yaml") };
        var command = new Command("serve", "Run Isthmus with a configuration file.") { config };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(config)!;
            if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"error: configuration file '{path.FullName}' not found. Pass --config <file>, or run 'isthmus demo' to see an example.");
                return 2;
            }

            WebApplication app;
            try
            {
                app = await IsthmusHost.BuildAsync(path.FullName);
            }
            catch (ConfigurationException ex)
            {
                ValidateCommand.Print(ex.Errors);
                return 2;
            }

            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"error: cannot listen on {path.Name}'s server.listen ({ex.Message}). Change server.listen or stop what uses that port.");
                return 2;
            }
            var state = app.Services.GetRequiredService<HostState>();
            if (state.InitialAdminKey is { } key)
            {
                // Printed to the terminal once, never logged.
                await Console.Error.WriteLineAsync($"First start: created admin API key (shown only now): {key}");
            }

            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
