using Isthmus.Configuration;

namespace Isthmus.Connectors.Http;

/// <summary>Reads <c>auth</c>: either <c>bearer: token</c> or <c>header: X-Api-Key</c> + <c>value: key</c>.</summary>
internal static class HttpAuthSettings
{
    public static void Read(ConnectionSettings settings, List<KeyValuePair<string, string>> headers, List<string> secrets)
    {
        var auth = settings.Section("auth");
        if (auth is null)
        {
            return;
        }

        var bearer = auth.Text("bearer");
        var header = auth.Text("header");
        var value = auth.Text("value");
        auth.RejectUnknownKeys();
        if (bearer is not null && (header is not null || value is not null))
        {
            auth.Error(null, "write either bearer, or header and value, not both");
            return;
        }

        if (bearer is not null)
        {
            Add(auth, "bearer", "Authorization", "Bearer " + bearer.Trim(), bearer.Trim(), headers, secrets);
        }
        else if (header is null || value is null)
        {
            auth.Error(header is null && value is null ? null : header is null ? "value" : "header",
                header is null && value is null ? "write bearer, or header and value" : $"needs '{(header is null ? "header" : "value")}' too");
        }
        else if (string.IsNullOrWhiteSpace(header))
        {
            auth.Error("header", "must name a header");
        }
        else
        {
            Add(auth, "value", header, value.Trim(), value.Trim(), headers, secrets);
        }
    }

    private static void Add(ConnectionSettings auth, string key, string header, string headerValue, string secret,
        List<KeyValuePair<string, string>> headers, List<string> secrets)
    {
        if (secret.Length == 0)
        {
            // Usually an unset ${VARIABLE}.
            auth.Error(key, "must not be empty");
            return;
        }

        headers.RemoveAll(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase));
        headers.Add(KeyValuePair.Create(header, headerValue));
        secrets.Add(secret);
    }
}
