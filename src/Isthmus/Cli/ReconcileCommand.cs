using System.CommandLine;
using System.Text.Json;

namespace Isthmus.Cli;

/// <summary><c>isthmus reconcile [entity] [--dry-run]</c>: compare every linked record with the model, report drift and repair it.</summary>
internal static class ReconcileCommand
{
    public static Command Create()
    {
        var entity = new Argument<string?>("entity") { Description = "Reconcile this entity now. Without it: the recent reconciliations.", Arity = ArgumentArity.ZeroOrOne };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report the drift and what would change; change nothing." };
        var show = new Option<long?>("--show") { Description = "Show a past reconciliation with its drift items." };
        var items = new Option<int>("--items") { Description = "Drift items to print.", DefaultValueFactory = _ => 50 };
        var command = new Command("reconcile", "Compare every linked record in every system with the model, report what differs, is missing or extra, and repair it by the sync policy.")
            { entity, dryRun, show, items };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(show) is { } id)
            {
                return ApiClient.RunAsync(parse, HttpMethod.Get, $"reconciliations/{id}", null, r => Print(r, parse.GetValue(items)), ct);
            }

            if (parse.GetValue(entity) is not { } name)
            {
                return ApiClient.RunAsync(parse, HttpMethod.Get, "reconciliations", null, r => Tables.Print(r, ("id", "id"), ("entity", "entity"), ("dry run", "dryRun"),
                    ("started", "startedAt"), ("finished", "finishedAt"), ("connections", "connections")), ct);
            }

            // Large reconciliations take a while: the call waits for the report.
            return ApiClient.RunAsync(parse, HttpMethod.Post, $"reconcile/{Uri.EscapeDataString(name)}" + Query.Of(("dryRun", parse.GetValue(dryRun) ? "true" : "false")), null,
                r => Print(r, parse.GetValue(items)), ct, TimeSpan.FromMinutes(30));
        });
        return command;
    }

    private static void Print(JsonElement report, int items)
    {
        var dry = report.GetProperty("dryRun").GetBoolean();
        Console.WriteLine($"{report.GetProperty("entity").GetString()}: {(dry ? "dry run, nothing changed" : "repaired by policy")}");
        Tables.Print(report.GetProperty("connections"), ("connection", "connection"), ("type", "recordType"), ("checked", "checked"), ("same", "same"),
            ("differing", "differing"), ("missing", "missing"), ("extra", "extra"), ("in flight", "inFlight"), ("repaired", "repaired"));
        if (!report.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in list.EnumerateArray().Take(items))
        {
            Console.WriteLine($"{item.Text("kind"),-9} {item.Text("connection")}/{item.Text("recordType")} record {item.Text("recordId")} entity {item.Text("entityId")}");
            if (item.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array)
            {
                foreach (var f in fields.EnumerateArray())
                {
                    Console.WriteLine($"    {f.Text("field")}: system {f.Json("record")}, model {f.Json("model")}");
                }
            }
        }

        if (list.GetArrayLength() > items)
        {
            Console.WriteLine($"… {list.GetArrayLength() - items} more items (--items N)");
        }
    }
}
