namespace Isthmus.Connectors.Webhook;

/// <summary>Where one field of an event comes from: a request header, a JSON path in the body, or a fixed value.</summary>
internal sealed record FieldSource(string? Header, JsonPath? Path, string? Value)
{
    public static FieldSource AtPath(string path) => new(null, JsonPath.TryParse(path), null);

    /// <summary>For messages: <c>header X-Event-Id</c> or <c>JSON path 'id'</c>.</summary>
    public string Describe() => Header is not null ? $"header {Header}" : $"JSON path '{Path}'";
}

/// <summary>Which sources a field accepts in the settings.</summary>
[Flags]
internal enum FieldOrigins
{
    Header = 1,
    Path = 2,
    Value = 4,
}
