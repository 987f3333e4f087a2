using System.Text.Json;

namespace Isthmus.Connectors.Tests.Support;

/// <summary>The protocol vectors in <c>tests/vectors/protocols.json</c>, by id.</summary>
internal static class Vectors
{
    private static readonly Lazy<Dictionary<string, JsonElement>> All = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "vectors", "protocols.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.EnumerateArray().ToDictionary(v => v.GetProperty("id").GetString()!, v => v.Clone());
    });

    /// <summary>The vector <paramref name="id"/>.</summary>
    public static JsonElement Get(string id) => All.Value.TryGetValue(id, out var v) ? v : throw new KeyNotFoundException($"No vector '{id}' in protocols.json.");

    /// <summary>An input of a vector as text.</summary>
    public static string In(this JsonElement vector, string name) => Text(vector.GetProperty("inputs").GetProperty(name));

    /// <summary>An expected value of a vector as text.</summary>
    public static string Out(this JsonElement vector, string name) => Text(vector.GetProperty("expected").GetProperty(name));

    /// <summary>The ids of every vector of <paramref name="platform"/>.</summary>
    public static IEnumerable<string> Of(string platform) =>
        All.Value.Values.Where(v => v.GetProperty("platform").GetString() == platform).Select(v => v.GetProperty("id").GetString()!);

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
}
