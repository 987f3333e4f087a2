using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;

namespace Isthmus.Connectors.WeCom;

/// <summary>Reads WeCom's XML safely and turns it into JSON for events' <c>raw</c> and platform-specific data.</summary>
internal static class XmlJson
{
    private static readonly XmlReaderSettings Safe = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 4 << 20,
    };

    /// <summary>Parses XML with DTDs and external entities refused; <c>null</c> when it is not well-formed.</summary>
    public static XElement? Parse(ReadOnlySpan<byte> xml)
    {
        try
        {
            using var stream = new MemoryStream(xml.ToArray());
            using var reader = XmlReader.Create(stream, Safe);
            return XElement.Load(reader);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    /// <summary>
    /// An element as JSON: text for a leaf, an object of its children otherwise; a child name that repeats
    /// becomes an array (WeCom repeats elements such as <c>SpRecord</c> and <c>Details</c> for lists).
    /// </summary>
    public static JsonNode? ToJson(XElement element)
    {
        if (!element.HasElements)
        {
            return JsonValue.Create(element.Value);
        }

        var result = new JsonObject();
        foreach (var group in element.Elements().GroupBy(e => e.Name.LocalName))
        {
            var items = group.ToList();
            result[group.Key] = items.Count == 1 ? ToJson(items[0]) : new JsonArray([.. items.Select(ToJson)]);
        }

        return result;
    }

    /// <summary>A child's text, or <c>null</c> when absent.</summary>
    public static string? Child(this XElement element, string name) => element.Element(name)?.Value;
}
