using System.CommandLine;
using Isthmus.Demo;
using Isthmus.Emulators;
using Isthmus.Hosting;
using Isthmus.Storage;
using Spectre.Console;

namespace Isthmus.Cli;

/// <summary><c>isthmus demo</c>: Isthmus on SQLite with a simulated OA and ERP, and a terminal view of what happens.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port for Isthmus on 127.0.0.1.", DefaultValueFactory = _ => 8080 };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Where to write the demo configuration and database (default: a new temporary folder)." };
        var seconds = new Option<int>("--seconds") { Description = "Stop after this many seconds (0: run until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var chat = new Option<string>("--chat")
        {
            Description = $"The emulated chat platform approvers use ({string.Join(", ", EmulatorCatalog.Platforms.Keys.Order())}), or 'none'.",
            DefaultValueFactory = _ => EmulatorCatalog.Platforms.ContainsKey("feishu") ? "feishu" : EmulatorCatalog.Platforms.Keys.Order().FirstOrDefault() ?? "none",
        };
        chat.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string>();
            if (name != "none" && !EmulatorCatalog.Platforms.ContainsKey(name))
            {
                r.AddError($"There is no emulator for '{name}'. Available: {string.Join(", ", EmulatorCatalog.Platforms.Keys.Order())}, or none.");
            }
        });
        var command = new Command("demo", "Run Isthmus with a simulated OA and ERP, and an emulated chat platform, on the embedded SQLite store.") { port, dir, seconds, chat };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(dir) ?? Directory.CreateTempSubdirectory("isthmus-demo-");
            folder.Create();
            Directory.CreateDirectory(Path.Combine(folder.FullName, "flows"));
            await using var erp = await SimulatedErp.StartAsync(failureRate: 0.15);
            var url = $"http://127.0.0.1:{parse.GetValue(port)}";
            await using var chatApp = parse.GetValue(chat) is { } platform && platform != "none"
                ? await DemoChat.StartAsync(platform, $"{url}/hooks/chat") : null;
            var configPath = Path.Combine(folder.FullName, "isthmus.yaml");
            await File.WriteAllTextAsync(configPath, DemoConfig.MainFile(parse.GetValue(port), erp.Port, chatApp?.ConnectionYaml() ?? ""), ct);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "flows", "approvals.yaml"), DemoConfig.Flows, ct);
            if (chatApp is not null)
            {
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "flows", "chat.yaml"), DemoChat.Flows, ct);
            }

            WebApplication app;
            try
            {
                app = await IsthmusHost.BuildAsync(configPath, configure: b => b.Logging.ClearProviders());
            }
            catch (ConfigurationException ex)
            {
                ValidateCommand.Print(ex.Errors);
                return 2;
            }

            await using (app)
            {
                try
                {
                    await app.StartAsync(ct);
                }
                catch (IOException ex)
                {
                    await Console.Error.WriteLineAsync($"error: cannot listen on 127.0.0.1:{parse.GetValue(port)} ({ex.Message}). Pass another port with --port.");
                    return 2;
                }

                var state = app.Services.GetRequiredService<HostState>();
                if (chatApp is not null)
                {
                    await chatApp.MapIdentitiesAsync(state.ConnectorContext.Identities);
                }

                Banner(url, folder.FullName, state.InitialAdminKey, chatApp?.Platform);

                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (parse.GetValue(seconds) is > 0 and var s)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(s));
                }

                using var oa = new SimulatedOa(new Uri($"{url}/hooks/oa"), DemoConfig.Secret, requests: chatApp is not null);
                var oaTask = oa.RunAsync(stop.Token);
                var chatTask = chatApp?.RunAsync(stop.Token) ?? Task.CompletedTask;
                await WatchAsync(state.Store, erp, stop.Token);
                await Task.WhenAny(oaTask);
                await chatTask;
                AnsiConsole.MarkupLine("[grey]Stopping…[/]");
                await app.StopAsync(CancellationToken.None);
                AnsiConsole.MarkupLine($"[green]Stopped cleanly.[/] The database stays in {Markup.Escape(folder.FullName)}.");
            }

            return 0;
        });
        return command;
    }

    private static void Banner(string url, string folder, string? key, string? chat)
    {
        AnsiConsole.Write(new Rule("[bold]Isthmus demo[/]").LeftJustified());
        AnsiConsole.MarkupLine($"A simulated OA posts signed approvals and orders to [blue]{url}/hooks/oa[/]; flows forward decisions and orders to a simulated ERP that fails 15% of calls (retries) and refuses negative amounts (dead letters).");
        if (chat is not null)
        {
            AnsiConsole.MarkupLine($"Approval requests go to the approver as cards in an emulated [magenta]{chat}[/]; the approver presses Approve or Reject, Isthmus posts the decision, updates the card and tells the requester. Messages saying 'urgent' become OA todos. (--chat picks another platform.)");
        }

        AnsiConsole.MarkupLine($"Configuration: [blue]{Markup.Escape(Path.Combine(folder, "isthmus.yaml"))}[/] (edit flows/approvals.yaml while it runs: it reloads)");
        AnsiConsole.MarkupLine($"API: [blue]{url}/api/v1[/]   OpenAPI: [blue]{url}/openapi/v1.json[/]   Metrics: [blue]{url}/metrics[/]");
        if (key is not null)
        {
            AnsiConsole.MarkupLine($"Admin API key (shown once): [yellow]{key}[/]");
            AnsiConsole.MarkupLine($"Try: [grey]export ISTHMUS_API_KEY={key} ISTHMUS_URL={url}; isthmus events; isthmus runs; isthmus dlq list[/]");
        }

        AnsiConsole.MarkupLine("[grey]Ctrl-C stops.[/]");
        AnsiConsole.Write(new Rule());
    }

    /// <summary>Prints new events and finished runs as they happen, and totals every few seconds.</summary>
    private static async Task WatchAsync(IStore store, SimulatedErp erp, CancellationToken cancellationToken)
    {
        var printed = new HashSet<long>();
        long lastRun = 0;
        var tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var events = await store.Admin.ListEventsAsync(new EventQuery(Limit: 50), cancellationToken);
                foreach (var e in events.Where(e => e.Status == Events.EventStatus.Processed && printed.Add(e.Seq)).Reverse())
                {
                    AnsiConsole.MarkupLine($"[grey]{e.ReceivedAt.ToLocalTime():HH:mm:ss}[/] event  #{e.Seq,-5} [blue]{Markup.Escape(e.Type)}[/] key={Markup.Escape(e.Key ?? "-")} [grey]→ {Markup.Escape(e.Outcome ?? "")}[/]");
                }

                var runs = await store.Admin.ListRunsAsync(new RunQuery(Limit: 50), cancellationToken);
                foreach (var r in runs.Where(r => r.Id > lastRun && r.Status != Runs.RunStatus.Running).Reverse())
                {
                    var colour = r.Status == Runs.RunStatus.Completed ? "green" : "red";
                    AnsiConsole.MarkupLine($"[grey]{(r.FinishedAt ?? r.StartedAt).ToLocalTime():HH:mm:ss}[/] run    #{r.Id,-5} [{colour}]{r.Status.ToString().ToLowerInvariant()}[/] {Markup.Escape(r.Flow)} key={Markup.Escape(r.Key ?? "-")}{(r.Error is null ? "" : " — " + Markup.Escape(r.Error))}");
                    lastRun = Math.Max(lastRun, r.Id);
                }

                if (++tick % 5 == 0)
                {
                    var c = await store.Admin.CountAsync(cancellationToken);
                    AnsiConsole.MarkupLine($"[bold]totals[/] events pending {c.PendingEvents} · deliveries pending {c.PendingDeliveries} · dead letters [red]{c.DeadLetters}[/] · ERP received {erp.Received} (duplicates {erp.Duplicates})");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
