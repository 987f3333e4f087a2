using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>WeCom's <c>errcode</c> values and what each means for a delivery.</summary>
internal static class WeComErrors
{
    /// <summary>-1: system busy; the platform says to try again.</summary>
    public const long SystemBusy = -1;

    /// <summary>40001: invalid secret (on gettoken) or invalid credential.</summary>
    public const long InvalidCredential = 40001;

    /// <summary>40013: invalid corp id.</summary>
    public const long InvalidCorpId = 40013;

    /// <summary>40014: invalid access_token.</summary>
    public const long InvalidToken = 40014;

    /// <summary>42001: access_token expired.</summary>
    public const long TokenExpired = 42001;

    /// <summary>45009: API call frequency over the limit.</summary>
    public const long FrequencyLimit = 45009;

    /// <summary>45033: too many concurrent calls.</summary>
    public const long ConcurrencyLimit = 45033;

    /// <summary>46004: no such user (lookups by mobile or email).</summary>
    public const long NoSuchUser = 46004;

    /// <summary>60111: userid not found.</summary>
    public const long UserIdNotFound = 60111;

    /// <summary>81013: every user, party and tag of the message is invalid.</summary>
    public const long AllRecipientsInvalid = 81013;

    /// <summary>Whether the platform refused the access token itself (fetch a new one and call again once).</summary>
    public static bool IsTokenRejected(long code) => code is InvalidToken or TokenExpired or InvalidCredential;

    /// <summary>The <c>errcode</c> of an answer (0 when absent).</summary>
    public static long Code(PlatformResponse response) => response.Number("errcode") ?? 0;

    /// <summary>Throws the classified failure for a non-zero <c>errcode</c>.</summary>
    public static void ThrowIfError(PlatformResponse response, string call)
    {
        var code = Code(response);
        if (code == 0)
        {
            return;
        }

        var message = $"{call}: errcode {code} {response.Text("errmsg")}".TrimEnd();
        throw code switch
        {
            SystemBusy => new ConnectorException(message, FailureKind.Transient, TimeSpan.FromSeconds(2), response.StatusCode),
            // The documented limits are per minute; the concurrency limit clears sooner.
            FrequencyLimit => new ConnectorException(message, FailureKind.RateLimited, TimeSpan.FromSeconds(60), response.StatusCode),
            ConcurrencyLimit => new ConnectorException(message, FailureKind.RateLimited, TimeSpan.FromSeconds(2), response.StatusCode),
            InvalidToken or TokenExpired or InvalidCredential or InvalidCorpId =>
                new ConnectorException(message + " (check corpId and secret)", FailureKind.Unauthorized, statusCode: response.StatusCode),
            _ => new ConnectorException(message, FailureKind.Rejected, statusCode: response.StatusCode),
        };
    }
}
