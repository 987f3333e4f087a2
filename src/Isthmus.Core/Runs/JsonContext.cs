using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Isthmus.Runs;

[JsonSerializable(typeof(JsonNode))]
internal sealed partial class JsonContext : JsonSerializerContext;
