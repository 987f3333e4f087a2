using System.Text.Json.Nodes;

namespace Isthmus.Mappings;

/// <summary>Dotted paths into a record (<c>company.name</c>); a column name is a path of one part.</summary>
public static class JsonPaths
{
    /// <summary>The value at <paramref name="path"/>, or null when any part is missing.</summary>
    public static JsonNode? Get(JsonObject record, string[] path)
    {
        JsonNode? node = record;
        foreach (var part in path)
        {
            node = node is JsonObject o && o.TryGetPropertyValue(part, out var next) ? next : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>Sets the value at <paramref name="path"/>, creating objects on the way.</summary>
    public static void Set(JsonObject record, string[] path, JsonNode? value)
    {
        var node = record;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (node[path[i]] is not JsonObject next)
            {
                next = new JsonObject();
                node[path[i]] = next;
            }

            node = next;
        }

        node[path[^1]] = value;
    }
}
