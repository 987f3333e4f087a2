namespace Isthmus.Connectors;

/// <summary>One inbound HTTP call, transport-neutral so connectors are tested without ASP.NET.</summary>
/// <param name="Headers">Case-insensitive header names.</param>
/// <param name="Body">The raw bytes as received; signatures are computed over these.</param>
public sealed record InboundRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body,
    string? ContentType);
