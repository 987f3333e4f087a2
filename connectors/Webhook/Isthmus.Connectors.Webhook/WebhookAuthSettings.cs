using System.Text;
using Isthmus.Configuration;

namespace Isthmus.Connectors.Webhook;

/// <summary>Reads the required <c>auth</c> section. Leaving a connection open takes an explicit <c>type: none</c>.</summary>
internal static class WebhookAuthSettings
{
    private static readonly string[] Types = ["hmac-sha256", "token", "none"];
    private static readonly string[] HmacKeys = ["secret", "encoding", "timestampHeader", "tolerance"];
    private static readonly string[] TokenKeys = ["token"];
    private static readonly string[] SharedKeys = ["header", "prefix"];

    public static InboundAuth? Read(ConnectionSettings settings)
    {
        var section = settings.Section("auth", required: true);
        if (section is null)
        {
            return null;
        }

        var type = section.OneOf("type", Types, required: true);
        InboundAuth? auth = type switch
        {
            "hmac-sha256" => ReadHmac(section),
            "token" => ReadToken(section),
            "none" => new NoAuth(),
            _ => null,
        };

        // Settings of another type are a mistake worth naming (a token under hmac-sha256 is never checked).
        string[] applicable = type switch
        {
            "hmac-sha256" => [.. HmacKeys, .. SharedKeys],
            "token" => [.. TokenKeys, .. SharedKeys],
            "none" => [],
            _ => [.. HmacKeys, .. TokenKeys, .. SharedKeys],
        };
        var foreign = HmacKeys.Concat(TokenKeys).Concat(SharedKeys).Except(applicable).ToArray();
        foreach (var key in foreign.Where(section.Has))
        {
            section.Error(key, $"does not apply to auth type '{type}'");
        }

        section.RejectUnknownKeys([.. applicable, .. foreign]);
        return auth;
    }

    private static HmacSignatureAuth? ReadHmac(ConnectionSettings section)
    {
        var secret = NonEmpty(section, "secret", section.Text("secret", required: true));
        var header = NonEmpty(section, "header", section.Text("header", defaultValue: "X-Hub-Signature-256"));
        var prefix = section.Text("prefix", defaultValue: "sha256=") ?? "";
        var encoding = section.OneOf("encoding", ["hex", "base64"], defaultValue: "hex");
        var timestampHeader = NonEmpty(section, "timestampHeader", section.Text("timestampHeader"));
        var tolerance = section.Duration("tolerance", TimeSpan.FromMinutes(5));
        if (tolerance is { } t && t < TimeSpan.FromSeconds(1))
        {
            section.Error("tolerance", "must be at least 1s");
            return null;
        }

        return secret is null || header is null || encoding is null || tolerance is null
            ? null
            : new HmacSignatureAuth(Encoding.UTF8.GetBytes(secret), header, prefix, encoding == "base64", timestampHeader, tolerance.Value);
    }

    private static TokenAuth? ReadToken(ConnectionSettings section)
    {
        var token = NonEmpty(section, "token", section.Text("token", required: true));
        var header = NonEmpty(section, "header", section.Text("header", defaultValue: "Authorization"));
        var prefix = section.Text("prefix", defaultValue: "") ?? "";
        return token is null || header is null ? null : new TokenAuth(header, prefix, token.Trim());
    }

    private static string? NonEmpty(ConnectionSettings section, string key, string? value)
    {
        if (value is { } v && string.IsNullOrWhiteSpace(v))
        {
            // Usually an unset ${VARIABLE}: an empty secret would accept anyone who knows it is empty.
            section.Error(key, "must not be empty");
            return null;
        }

        return value;
    }
}
