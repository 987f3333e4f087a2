using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// Where a change feed resumes: the cursor column's value and the id of the last record read, as JSON
/// (<c>{"c":"2024-03-01 10:20:30.123+00","id":"42"}</c>). Both are needed: rows that share one cursor value are
/// ordered by id, so a page that ends inside such a group resumes exactly after its last row.
/// A <c>null</c> <c>c</c> means the rows whose cursor column is empty, which a full read returns first.
/// </summary>
internal sealed record FeedCursor(JsonNode? Value, JsonNode Id)
{
    public string Encode() => new JsonObject { ["c"] = Value?.DeepClone(), ["id"] = Id.DeepClone() }.ToJsonString();

    public static FeedCursor Decode(string text, string recordType)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject o && o.TryGetPropertyValue("id", out var id) && id is JsonValue
                && o.TryGetPropertyValue("c", out var value) && value is null or JsonValue)
            {
                return new FeedCursor(value?.DeepClone(), id.DeepClone());
            }
        }
        catch (JsonException)
        {
        }

        throw new ConnectorException($"{recordType}: cursor '{text}' was not made by a sql connection; start again with a full read (no cursor)",
            FailureKind.Rejected);
    }
}
