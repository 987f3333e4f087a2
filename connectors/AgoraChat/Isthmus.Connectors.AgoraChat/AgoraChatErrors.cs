using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// What an Agora Chat REST error means (body <c>{error, error_description}</c>): whether a new token, a wait, or
/// a person is needed.
/// </summary>
internal static class AgoraChatErrors
{
    /// <summary>The answer's error and description, for messages.</summary>
    public static string Describe(PlatformResponse response)
    {
        var error = response.Text("error");
        var description = response.Text("error_description");
        return (error, description) switch
        {
            (null, null) => response.Body.ValueKind == System.Text.Json.JsonValueKind.String ? response.Body.GetString() ?? "" : "no error body",
            (_, null) => error!,
            (null, _) => description!,
            _ => $"{error}: {description}",
        };
    }

    /// <summary>401 that a new token cures (expired or missing token), as opposed to <c>auth_bad_access_token</c>.</summary>
    public static bool TokenExpired(PlatformResponse response) =>
        response.StatusCode == 401 && !string.Equals(response.Text("error"), "auth_bad_access_token", StringComparison.Ordinal);

    /// <summary>403 "message send reach limit": over the message quota, unlike other 403s (invalid group operations).</summary>
    public static bool QuotaReached(PlatformResponse response) =>
        response.StatusCode == 403 && (response.Text("error_description") ?? "").Contains("reach limit", StringComparison.OrdinalIgnoreCase);

    /// <summary>The failure for an answer that is neither success nor cured by a new token or a wait.</summary>
    public static ConnectorException Failure(string call, PlatformResponse response)
    {
        var kind = response.StatusCode switch
        {
            401 => FailureKind.Unauthorized,
            _ when QuotaReached(response) => FailureKind.RateLimited,
            _ => FailureKind.Rejected,
        };
        var hint = kind == FailureKind.Unauthorized ? "; the token was refused: check clientId/clientSecret or appId/appCertificate and that they belong to this app" : "";
        return new ConnectorException($"{call}: {response.StatusCode} {Describe(response)}{hint}", kind,
            kind == FailureKind.RateLimited ? response.RetryAfter ?? TimeSpan.FromSeconds(1) : null, response.StatusCode);
    }
}
