using System.CommandLine;
using Isthmus.Emulators;
using Isthmus.Emulators.Records;
using Spectre.Console;

namespace Isthmus.Cli;

/// <summary>
/// <c>isthmus emulate records --types customers,projects [--port N] [--webhook URL --secret S]</c>: a local record system
/// (an OA, CRM or ERP over REST) with a change feed, conditional writes and signed change webhooks.
/// </summary>
internal static class EmulateRecordsCommand
{
    public static Command Create()
    {
        var types = new Option<string>("--types")
        {
            Description = "Record types, comma-separated; 'customers:C-' gives ids C-0001, C-0002… (others are created on first use).",
            DefaultValueFactory = _ => "customers",
        };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0, the default, picks a free one)." };
        var webhook = new Option<string?>("--webhook") { Description = "Where change notifications go, e.g. http://127.0.0.1:8080/hooks/crm-changes." };
        var secret = new Option<string?>("--secret") { Description = "The HMAC secret change notifications are signed with (needed with --webhook)." };
        var apiKey = new Option<string?>("--api-key") { Description = "Require Authorization: Bearer <key> on /api calls." };
        var command = new Command("records", "Run a local record system (OA/CRM/ERP stand-in): REST records, a change feed and signed change webhooks.")
        {
            types, port, webhook, secret, apiKey,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(webhook) is not null && string.IsNullOrEmpty(r.GetValue(secret)))
            {
                r.AddError("--webhook needs --secret: notifications are always signed.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var hook = parse.GetValue(webhook);
            var hookSecret = parse.GetValue(secret);
            var options = new RecordsEmulatorOptions
            {
                Port = parse.GetValue(port),
                Types = [.. parse.GetValue(types)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                ApiKey = parse.GetValue(apiKey),
                Webhooks = hook is null ? [] : [new WebhookSubscription(hook, hookSecret!)],
            };
            await using var emulator = EmulatorCatalog.Records(options);
            try
            {
                await emulator.StartAsync(ct);
            }
            catch (IOException ex)
            {
                AnsiConsole.MarkupLine($"[red]Cannot listen on 127.0.0.1:{options.Port}: {Markup.Escape(ex.Message)}[/] Pick another with --port.");
                return 1;
            }

            AnsiConsole.MarkupLine($"[green]record system emulator[/] on {emulator.Url}; types: {Markup.Escape(string.Join(", ", emulator.Types))}");
            AnsiConsole.MarkupLine("Connections for isthmus.yaml (reading and writing records, then receiving its change notifications):");
            // Plain console writes: these lines are copied into YAML, so they must not be wrapped to the terminal's width.
            Console.Write(emulator.HttpConnection().ToYaml("crm"));
            if (hook is not null && Uri.TryCreate(hook, UriKind.Absolute, out var uri))
            {
                // Named as the hook it calls, so the printed YAML works as is.
                Console.Write(RecordsEmulator.WebhookConnection(hookSecret!).ToYaml(uri.Segments.Length > 1 ? uri.Segments[^1].TrimEnd('/') : "crm-changes"));
            }
            else
            {
                AnsiConsole.MarkupLine("(No change notifications: pass --webhook http://127.0.0.1:8080/hooks/crm-changes --secret <secret>.)");
            }

            AnsiConsole.MarkupLine($"API: {emulator.Url}/api/<type> · control: /_emulator/records/<type>, /_emulator/faults, /_emulator/stats, /_emulator/webhooks (docs/emulators.md). Ctrl-C stops.");
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
