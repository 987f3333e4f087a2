namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Feishu/Lark error codes (the <c>code</c> of every API answer) and what a retry can do about them.
/// </summary>
public static class FeishuErrors
{
    /// <summary>Missing access token.</summary>
    public const int TokenMissing = 99991661;

    /// <summary>The tenant access token is invalid or expired.</summary>
    public const int TenantTokenInvalid = 99991663;

    /// <summary>Request rate limit of the open platform.</summary>
    public const int RateLimited = 99991400;

    /// <summary>Message API frequency limit (per chat or user).</summary>
    public const int MessageRateLimited = 230020;

    /// <summary>The bot cannot reach this user (not in the app's availability range, or no such user).</summary>
    public const int UserUnavailable = 230013;

    /// <summary>Custom bot: signature mismatch, or the timestamp is more than an hour away.</summary>
    public const int BotSignMismatch = 19021;

    /// <summary>Custom bot: the caller's IP is not on the allow-list.</summary>
    public const int BotIpNotAllowed = 19022;

    /// <summary>Custom bot: the message lacks the bot's keyword.</summary>
    public const int BotKeywordMissing = 19024;

    /// <summary>Custom bot: rate limited (100 a minute, 5 a second per bot).</summary>
    public const int BotRateLimited = 11232;

    /// <summary>Codes meaning "this token is no good": fetch a new one and call again once.</summary>
    public static bool IsTokenError(long code) => code is TokenMissing or 99991662 or TenantTokenInvalid or 99991664 or 99991665 or 99991668 or 99991677;

    /// <summary>The classified failure of a non-zero <paramref name="code"/>.</summary>
    public static ConnectorException Failure(string call, long code, string? message, int statusCode)
    {
        var text = $"{call}: code {code}: {message}";
        return code switch
        {
            RateLimited or MessageRateLimited or BotRateLimited => new ConnectorException(text, FailureKind.RateLimited, TimeSpan.FromSeconds(1), statusCode),
            // Credentials, signing and permissions: a person must fix the app's settings, then replay.
            _ when IsTokenError(code) => new ConnectorException(text, FailureKind.Unauthorized, statusCode: statusCode),
            10003 or 10014 or BotSignMismatch or BotIpNotAllowed or 99991672 or 99991679 or 99991401 =>
                new ConnectorException(text, FailureKind.Unauthorized, statusCode: statusCode),
            _ => new ConnectorException(text, FailureKind.Rejected, statusCode: statusCode),
        };
    }
}
