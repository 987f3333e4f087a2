using System.Text.Json;
using System.Text.Json.Serialization;

namespace Isthmus.Sync;

/// <summary>How sync records are written as JSON (API, stored reports): camelCase, enums as text.</summary>
public static class SyncJson
{
    /// <summary>The options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
