using System.Text.Json;
using Spectre.Console;

namespace Isthmus.Cli;

/// <summary>Prints API items as readable tables.</summary>
internal static class Tables
{
    public static void Print(JsonElement items, params (string Header, string Property)[] columns)
    {
        // Piped output has no terminal width, and tables would wrap at 80 columns: honour COLUMNS when it is set.
        if (Console.IsOutputRedirected && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var width) && width > 0)
        {
            AnsiConsole.Profile.Width = width;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (header, _) in columns)
        {
            table.AddColumn(header);
        }

        var count = 0;
        foreach (var item in items.EnumerateArray())
        {
            table.AddRow(columns.Select(c => Markup.Escape(Cell(item, c.Property))).ToArray());
            count++;
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{count} shown[/]");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void PrintJson(JsonElement element) => Console.WriteLine(JsonSerializer.Serialize(element, Indented));

    /// <summary>A summary of counts as "read 3, created 1": zeros left out, so it fits a narrow column.</summary>
    private static string Counts(JsonElement counts)
    {
        var parts = counts.EnumerateObject().Where(p => p.Value.GetRawText() != "0").Select(p => $"{p.Name} {p.Value.GetRawText()}").ToList();
        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }

    private static string Cell(JsonElement item, string property)
    {
        var text = item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            && value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Number)
            ? Counts(value)
            : item.Text(property, missing: "");
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time) && text.Contains('T', StringComparison.Ordinal))
        {
            return time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss");
        }

        return text.Length > 60 ? text[..57] + "…" : text;
    }
}
