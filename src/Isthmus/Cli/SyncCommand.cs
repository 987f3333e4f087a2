using System.CommandLine;
using System.Text.Json;

namespace Isthmus.Cli;

/// <summary><c>isthmus sync status|load|jobs|errors|retry|revive</c>: the state of two-way sync.</summary>
internal static class SyncCommand
{
    public static Command Create()
    {
        var command = new Command("sync", "Two-way sync: status, initial loads, jobs, records that could not be applied, and deleted entities to bring back.");

        var status = new Command("status", "Counts (entities, links, pending and dead writes, open conflicts and errors), change-feed cursors and running jobs.");
        ApiClient.AddOptions(status);
        status.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, "sync/status", null, PrintStatus, ct));
        command.Subcommands.Add(status);

        command.Subcommands.Add(Load());

        var jobs = new Command("jobs", "Loads, full syncs and reconciliations of this process, newest first.");
        ApiClient.AddOptions(jobs);
        jobs.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, "sync/jobs", null, PrintJobs, ct));
        command.Subcommands.Add(jobs);

        var all = new Option<bool>("--all") { Description = "Closed ones too." };
        var errors = new Command("errors", "Records refused by mapping or validation, and writes a system refused for good.") { all };
        ApiClient.AddOptions(errors);
        errors.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, "sync/errors" + Query.Of(("open", parse.GetValue(all) ? "false" : "true")), null, PrintErrors, ct));
        command.Subcommands.Add(errors);

        var id = new Argument<long>("id") { Description = "The sync error id." };
        var retry = new Command("retry", "Read the record of a sync error again (after fixing the record or the model).") { id };
        ApiClient.AddOptions(retry);
        retry.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Post, $"sync/errors/{parse.GetValue(id)}/retry", null, Tables.PrintJson, ct));
        command.Subcommands.Add(retry);

        command.Subcommands.Add(Revive());
        return command;
    }

    private static Command Revive()
    {
        var entity = new Argument<string>("entity") { Description = "The entity, e.g. Customer." };
        var entityId = new Argument<string?>("entity-id") { Description = "The deleted entity's id (or give the deleted record: --connection and --record-id).", Arity = ArgumentArity.ZeroOrOne };
        var connection = new Option<string?>("--connection") { Description = "The system the record was deleted in." };
        var recordId = new Option<string?>("--record-id") { Description = "The deleted record's id in that system." };
        var recordType = new Option<string?>("--record-type") { Description = "The record type, when the entity maps to several on the connection." };
        var command = new Command("revive", "Undo a delete: the entity syncs again, and its record is created again wherever it was deleted.")
            { entity, entityId, connection, recordId, recordType };
        ApiClient.AddOptions(command);
        command.SetAction((parse, ct) =>
        {
            var name = Uri.EscapeDataString(parse.GetValue(entity)!);
            if (parse.GetValue(entityId) is { } id)
            {
                return ApiClient.RunAsync(parse, HttpMethod.Post, $"sync/{name}/{Uri.EscapeDataString(id)}/revive", null, Tables.PrintJson, ct);
            }

            if (parse.GetValue(connection) is null || parse.GetValue(recordId) is null)
            {
                Console.Error.WriteLine("error: give the entity's id, or the deleted record as --connection <name> --record-id <id>.");
                return Task.FromResult(2);
            }

            return ApiClient.RunAsync(parse, HttpMethod.Post, $"sync/{name}/revive"
                + Query.Of(("connection", parse.GetValue(connection)), ("recordId", parse.GetValue(recordId)), ("recordType", parse.GetValue(recordType))), null, Tables.PrintJson, ct);
        });
        return command;
    }

    private static Command Load()
    {
        var entity = new Argument<string>("entity") { Description = "The entity, e.g. Customer." };
        var connection = new Option<string?>("--connection") { Description = "Only from this system (default: every system the entity is read from)." };
        var full = new Option<bool>("--full") { Description = "A full sync (the kind a fullSync schedule runs) rather than an initial load." };
        var detach = new Option<bool>("--no-wait") { Description = "Start and return; follow with 'isthmus sync jobs'." };
        var command = new Command("load", "Read every record of an entity from the beginning (initial load or backfill), showing progress.") { entity, connection, full, detach };
        ApiClient.AddOptions(command);
        command.SetAction(async (parse, ct) =>
        {
            using var api = ApiClient.From(parse);
            var started = await api.SendAsync(HttpMethod.Post, $"sync/{Uri.EscapeDataString(parse.GetValue(entity)!)}/load"
                + Query.Of(("connection", parse.GetValue(connection)), ("full", parse.GetValue(full) ? "true" : null)), ct);
            if (started is null)
            {
                return 1;
            }

            var ids = started.Value.EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
            if (parse.GetValue(detach))
            {
                PrintJobs(started.Value);
                return 0;
            }

            // Follow the jobs until they end, one progress line each second.
            while (true)
            {
                var jobs = new List<JsonElement>();
                foreach (var jobId in ids)
                {
                    if (await api.SendAsync(HttpMethod.Get, $"sync/jobs/{jobId}", ct) is not { } job)
                    {
                        return 1;
                    }

                    jobs.Add(job);
                }

                Console.WriteLine(string.Join("   ", jobs.Select(j => $"{j.Text("connection")}: {j.Text("status")}, {j.Text("read")} records read")));
                if (jobs.All(j => j.GetProperty("status").GetString() != "running"))
                {
                    PrintJobs(JsonSerializer.SerializeToElement(jobs));
                    return jobs.Any(j => j.GetProperty("status").GetString() == "failed") ? 1 : 0;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        });
        return command;
    }

    private static void PrintStatus(JsonElement status)
    {
        Console.WriteLine(string.Join("  ", status.GetProperty("counts").EnumerateObject().Select(p => $"{p.Name}: {p.Value.GetRawText()}")));
        Tables.Print(status.GetProperty("cursors"), ("entity", "entity"), ("connection", "connection"), ("type", "recordType"), ("cursor", "cursor"), ("updated", "updatedAt"));
        PrintJobs(status.GetProperty("jobs"));
    }

    private static void PrintJobs(JsonElement jobs) =>
        Tables.Print(jobs, ("id", "id"), ("kind", "kind"), ("entity", "entity"), ("connection", "connection"), ("status", "status"), ("read", "read"),
            ("started", "startedAt"), ("finished", "finishedAt"), ("summary", "summary"), ("error", "error"));

    private static void PrintErrors(JsonElement errors)
    {
        foreach (var e in errors.EnumerateArray())
        {
            Console.WriteLine($"#{e.Text("id")} {e.Text("entity")} from {e.Text("connection")}/{e.Text("recordType")} "
                + $"record {e.Text("recordId")} ({e.Text("kind")}, {e.GetProperty("createdAt").GetDateTimeOffset().ToLocalTime():yyyy-MM-dd HH:mm:ss})");
            if (e.TryGetProperty("problems", out var problems) && problems.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in problems.EnumerateArray())
                {
                    var rule = p.Text("rule", "");
                    Console.WriteLine($"    {p.Text("field")} = {p.Text("value", "null")}: {p.Text("message")}{(rule.Length > 0 ? $" ({rule})" : "")}");
                }
            }
        }

        Console.WriteLine($"{errors.GetArrayLength()} shown");
    }
}
