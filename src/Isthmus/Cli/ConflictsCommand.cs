using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Cli;

/// <summary><c>isthmus conflicts list|show|resolve</c>: fields two systems changed at once, waiting for a person.</summary>
internal static class ConflictsCommand
{
    public static Command Create()
    {
        var command = new Command("conflicts", "Conflicts: a field changed in two systems at once whose policy is manual.");

        var all = new Option<bool>("--all") { Description = "Resolved ones too." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List open conflicts, newest first.") { all, limit };
        ApiClient.AddOptions(list);
        list.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get,
            "conflicts" + Query.Of(("open", parse.GetValue(all) ? "false" : "true"), ("limit", parse.GetValue(limit).ToString())), null, Print, ct));
        command.Subcommands.Add(list);

        var showId = new Argument<long>("id") { Description = "The conflict id." };
        var show = new Command("show", "Show a conflict with both values and where they came from.") { showId };
        ApiClient.AddOptions(show);
        show.SetAction((parse, ct) => ApiClient.RunAsync(parse, HttpMethod.Get, $"conflicts/{parse.GetValue(showId)}", null, Tables.PrintJson, ct));
        command.Subcommands.Add(show);

        var id = new Argument<long>("id") { Description = "The conflict id." };
        var source = new Option<string?>("--source") { Description = "Keep the value from this system (a connection name)." };
        var value = new Option<string?>("--value") { Description = "Keep this value instead, as JSON (\"text\" in quotes, 12.5, null) or plain text." };
        var resolve = new Command("resolve", "Decide a conflict; the value is written to every system.") { id, source, value };
        ApiClient.AddOptions(resolve);
        resolve.Validators.Add(r =>
        {
            if ((r.GetValue(source) is null) == (r.GetValue(value) is null))
            {
                r.AddError("Give either --source <connection> or --value <value>.");
            }
        });
        resolve.SetAction((parse, ct) =>
        {
            var body = parse.GetValue(source) is { } s ? new JsonObject { ["source"] = s } : new JsonObject { ["value"] = Value(parse.GetValue(value)!) };
            return ApiClient.RunAsync(parse, HttpMethod.Post, $"conflicts/{parse.GetValue(id)}/resolve", body, Tables.PrintJson, ct);
        });
        command.Subcommands.Add(resolve);
        return command;
    }

    /// <summary>JSON when the text is JSON (numbers, quoted text, true, null), else the text itself.</summary>
    private static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static void Print(JsonElement conflicts)
    {
        var rows = new JsonArray();
        foreach (var c in conflicts.EnumerateArray())
        {
            var row = JsonNode.Parse(c.GetRawText())!.AsObject();
            row["values"] = string.Join("  |  ", c.GetProperty("candidates").EnumerateArray().Select(x => $"{x.Text("source")}: {x.Json("value")}"));
            rows.Add(row);
        }

        Tables.Print(JsonSerializer.SerializeToElement(rows), ("id", "id"), ("entity", "entity"), ("entity id", "entityId"), ("field", "field"),
            ("values", "values"), ("created", "createdAt"), ("resolution", "resolution"), ("by", "resolvedBy"));
    }
}
