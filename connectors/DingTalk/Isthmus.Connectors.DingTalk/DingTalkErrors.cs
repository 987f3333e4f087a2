using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>What a DingTalk answer means for the caller.</summary>
internal enum DingTalkOutcome
{
    /// <summary>The call succeeded.</summary>
    Ok,
    /// <summary>The access token expired or is not valid: fetch a new one and call again once.</summary>
    TokenExpired,
    /// <summary>Anything else: <see cref="DingTalkErrors.Failure"/> says how to treat it.</summary>
    Failed,
}

/// <summary>
/// DingTalk's error codes. The v1.0 API (<c>api.dingtalk.com</c>) answers a failure with an HTTP 4xx status and
/// <c>{"code","message"}</c>; the legacy API (<c>oapi.dingtalk.com</c>) answers HTTP 200 with
/// <c>{"errcode","errmsg","sub_code"?}</c>, and the custom robot webhook does the same.
/// </summary>
internal static class DingTalkErrors
{
    /// <summary>Legacy codes of an invalid or expired access token (also as <c>sub_code</c> of errcode 88).</summary>
    private static readonly HashSet<long> TokenCodes = [40014, 42001];

    /// <summary>Legacy and robot codes meaning "too many calls": API QPS (90002, 90006, 90018), robot too fast (130101, 410100).</summary>
    private static readonly HashSet<long> RateCodes = [90002, 90006, 90018, 130101, 410100];

    /// <summary>Robot codes of a refused security check (signature, keyword, IP) or an unknown robot token.</summary>
    private static readonly HashSet<long> RobotAuthCodes = [310000, 300001, 300005, 400101];

    /// <summary>Reads a v1.0 API answer.</summary>
    public static DingTalkOutcome OpenApi(PlatformResponse response)
    {
        if (response.StatusCode is >= 200 and < 300)
        {
            return DingTalkOutcome.Ok;
        }

        var code = response.Text("code") ?? "";
        return response.StatusCode == 401 || code.Equals("InvalidAuthentication", StringComparison.OrdinalIgnoreCase)
            ? DingTalkOutcome.TokenExpired
            : DingTalkOutcome.Failed;
    }

    /// <summary>Reads a legacy API or robot webhook answer.</summary>
    public static DingTalkOutcome Legacy(PlatformResponse response)
    {
        var errcode = response.Number("errcode");
        if (response.StatusCode is >= 200 and < 300 && errcode is 0)
        {
            return DingTalkOutcome.Ok;
        }

        if (errcode is { } e && (TokenCodes.Contains(e) || (e == 88 && long.TryParse(response.Text("sub_code"), out var sub) && TokenCodes.Contains(sub))))
        {
            return DingTalkOutcome.TokenExpired;
        }

        return response.StatusCode == 401 ? DingTalkOutcome.TokenExpired : DingTalkOutcome.Failed;
    }

    /// <summary>The classified failure of a v1.0 API answer.</summary>
    public static ConnectorException Failure(string call, PlatformResponse response)
    {
        var code = response.Text("code") ?? "";
        var message = $"{call}: HTTP {response.StatusCode} {code}: {response.Text("message")}";
        if (code.Contains("QpsLimit", StringComparison.OrdinalIgnoreCase) || code.Contains("Throttling", StringComparison.OrdinalIgnoreCase))
        {
            // DingTalk's QPS windows are one second long.
            return new ConnectorException(message, FailureKind.RateLimited, response.RetryAfter ?? TimeSpan.FromSeconds(1), response.StatusCode);
        }

        return response.StatusCode switch
        {
            401 or 403 => new ConnectorException(message, FailureKind.Unauthorized, statusCode: response.StatusCode),
            _ => new ConnectorException(message, FailureKind.Rejected, statusCode: response.StatusCode),
        };
    }

    /// <summary>The classified failure of a legacy API or robot webhook answer.</summary>
    public static ConnectorException LegacyFailure(string call, PlatformResponse response)
    {
        var errcode = response.Number("errcode");
        var sub = response.Text("sub_code");
        var message = $"{call}: errcode {errcode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}{(sub is null ? "" : $" (sub_code {sub})")}: {response.Text("errmsg") ?? response.Text("sub_msg")}";
        return errcode switch
        {
            130101 or 410100 => new ConnectorException(message, FailureKind.RateLimited,
                errcode == 410100 ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(1), response.StatusCode),
            { } e when RateCodes.Contains(e) => new ConnectorException(message, FailureKind.RateLimited, TimeSpan.FromSeconds(1), response.StatusCode),
            -1 => new ConnectorException(message, FailureKind.Transient, statusCode: response.StatusCode),
            { } e when RobotAuthCodes.Contains(e) || TokenCodes.Contains(e) || e == 88 =>
                new ConnectorException(message, FailureKind.Unauthorized, statusCode: response.StatusCode),
            _ => new ConnectorException(message, FailureKind.Rejected, statusCode: response.StatusCode),
        };
    }
}
