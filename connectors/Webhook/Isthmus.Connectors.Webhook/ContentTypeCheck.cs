namespace Isthmus.Connectors.Webhook;

/// <summary>Accepts <c>application/json</c> and structured-syntax <c>*/*+json</c> types, in UTF-8 only.</summary>
internal static class ContentTypeCheck
{
    /// <summary>Why <paramref name="contentType"/> is refused, or <c>null</c> when it is accepted.</summary>
    public static string? Problem(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return "missing Content-Type; send Content-Type: application/json";
        }

        var parts = contentType.Split(';');
        var media = parts[0].Trim();
        var isJson = media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.EndsWith("+json", StringComparison.OrdinalIgnoreCase) && media.IndexOf('/', StringComparison.Ordinal) > 0);
        if (!isJson)
        {
            return $"content type '{Shorten(media)}' is not accepted; send application/json or a */*+json type";
        }

        foreach (var parameter in parts.AsSpan(1))
        {
            var (name, value) = Split(parameter);
            // The body is parsed as UTF-8 and signatures cover its bytes; a different charset would be misread.
            if (name.Equals("charset", StringComparison.OrdinalIgnoreCase)
                && !value.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !value.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                return $"charset '{Shorten(value)}' is not accepted; send UTF-8";
            }
        }

        return null;
    }

    private static (string Name, string Value) Split(string parameter)
    {
        var eq = parameter.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (parameter.Trim(), "") : (parameter[..eq].Trim(), parameter[(eq + 1)..].Trim().Trim('"'));
    }

    // Caller-supplied text is echoed back; keep it short.
    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
