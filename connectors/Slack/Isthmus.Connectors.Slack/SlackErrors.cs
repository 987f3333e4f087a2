using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// Slack's Web API answers HTTP 200 with <c>{"ok":false,"error":"…"}</c>; this maps the error codes to what a
/// retry can do. Unknown codes are refused (dead-lettered with the code), never retried blindly.
/// </summary>
internal static class SlackErrors
{
    private static readonly HashSet<string> Unauthorized = new(StringComparer.Ordinal)
    {
        "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope",
        "not_allowed_token_type", "no_permission", "ekm_access_denied", "team_access_not_granted", "access_denied",
    };

    private static readonly HashSet<string> Transient = new(StringComparer.Ordinal)
    {
        "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org",
    };

    private static readonly HashSet<string> Limited = new(StringComparer.Ordinal) { "ratelimited", "rate_limited", "message_limit_exceeded" };

    /// <summary>How a failed call's <paramref name="error"/> is treated.</summary>
    public static FailureKind Kind(string error) =>
        Unauthorized.Contains(error) ? FailureKind.Unauthorized
        : Transient.Contains(error) ? FailureKind.Transient
        : Limited.Contains(error) ? FailureKind.RateLimited
        : FailureKind.Rejected;

    /// <summary>The body of a successful Web API answer; a classified <see cref="ConnectorException"/> otherwise.</summary>
    public static JsonElement Check(string call, PlatformResponse response)
    {
        var body = response.Body;
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            return body;
        }

        var error = response.Text("error");
        if (error is null)
        {
            // Not a Web API answer (a proxy's page, a 4xx without a body).
            throw new ConnectorException($"{call}: HTTP {response.StatusCode} without a Slack answer", response.StatusCode is 401 or 403
                ? FailureKind.Unauthorized : FailureKind.Rejected, statusCode: response.StatusCode);
        }

        var kind = Kind(error);
        var hint = error switch
        {
            "invalid_auth" or "not_authed" or "token_revoked" or "token_expired" =>
                " (the botToken is wrong or was revoked; Slack bot tokens do not expire unless token rotation is on, so copy the current Bot User OAuth Token and replay)",
            "missing_scope" => $" (the app needs the scope '{response.Text("needed")}'; add it under OAuth & Permissions and reinstall the app)",
            "channel_not_found" => " (the channel id is wrong, or the bot is not in that private channel: invite it)",
            "not_in_channel" => " (invite the bot to the channel first)",
            "invalid_blocks" or "invalid_blocks_format" => " (the card could not be rendered as Block Kit: check its title, fields and buttons)",
            _ => "",
        };
        var retryAfter = kind == FailureKind.RateLimited ? response.RetryAfter ?? TimeSpan.FromSeconds(1) : (TimeSpan?)null;
        throw new ConnectorException($"{call}: {error}{hint}", kind, retryAfter, response.StatusCode);
    }

    /// <summary>Maps an incoming webhook's answer: <c>ok</c> in plain text, or an HTTP status with a short code.</summary>
    public static void CheckWebhook(string call, PlatformResponse response)
    {
        var text = response.Body.ValueKind == JsonValueKind.String ? response.Body.GetString() : response.Body.GetRawText();
        if (response.StatusCode is >= 200 and < 300)
        {
            return;
        }

        var kind = response.StatusCode switch
        {
            401 or 403 => FailureKind.Unauthorized,
            _ => FailureKind.Rejected,
        };
        throw new ConnectorException($"{call}: {response.StatusCode} {text}", kind, statusCode: response.StatusCode);
    }
}
