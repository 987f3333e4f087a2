using System.Text;

namespace Isthmus.Connectors.Http;

/// <summary>
/// Builds the URL of a call from the connection's base URL and a delivery's path. A delivery can only reach
/// addresses under the base URL, so a flow (or data flowing through it) can never send credentials elsewhere.
/// </summary>
internal static class TargetUrl
{
    public static Uri Resolve(Uri baseUrl, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        var isAbsolute = path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var text = isAbsolute ? path : baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + path.TrimStart('/');
        if (query.Count > 0)
        {
            var builder = new StringBuilder(text).Append(text.Contains('?', StringComparison.Ordinal) ? '&' : '?');
            foreach (var (name, value) in query)
            {
                builder.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
            }

            text = builder.ToString(0, builder.Length - 1);
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var target))
        {
            throw new FormatException($"path '{path}' does not make a valid URL");
        }

        // Compare after normalisation, so "/api/../admin" cannot climb out of a base path of "/api".
        var basePath = baseUrl.AbsolutePath.TrimEnd('/') + "/";
        var under = string.Equals(target.Scheme, baseUrl.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(target.IdnHost, baseUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
            && target.Port == baseUrl.Port
            && string.IsNullOrEmpty(target.UserInfo)
            && (target.AbsolutePath + "/").StartsWith(basePath, StringComparison.Ordinal);
        return under ? target : throw new FormatException($"refusing to send to {target.GetLeftPart(UriPartial.Path)}: it is not under the connection's baseUrl {baseUrl}");
    }
}
