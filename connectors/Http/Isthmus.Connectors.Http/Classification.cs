namespace Isthmus.Connectors.Http;

/// <summary>
/// Maps a platform's answer to a receipt or a classified failure. 408/5xx may succeed later (transient),
/// 429 says when (rate limited), 401/403 need a person to fix credentials, and other 4xx never succeed as sent.
/// </summary>
internal static class Classification
{
    public static DeliveryReceipt Classify(DeliveryResponse response, string call, DateTimeOffset now, IReadOnlyList<string> secrets)
    {
        var excerpt = Redact(response.Excerpt, secrets);
        if (response.IsSuccess)
        {
            return new DeliveryReceipt(response.StatusCode, excerpt);
        }

        var status = response.StatusCode;
        var message = $"{call} → {status} {response.ReasonPhrase}".TrimEnd() + (excerpt.Length > 0 ? ": " + excerpt : "");
        var retryAfter = RetryAfter.From(response.RetryAfter, now);
        var (kind, wait) = status switch
        {
            429 => (FailureKind.RateLimited, retryAfter),
            408 or >= 500 => (FailureKind.Transient, retryAfter),
            401 or 403 => (FailureKind.Unauthorized, (TimeSpan?)null),
            _ => (FailureKind.Rejected, null),
        };
        if (status is >= 300 and < 400)
        {
            message += $" (redirects are not followed; Location: {response.Location?.ToString() ?? "none"})";
        }

        throw new ConnectorException(message, kind, wait, status);
    }

    /// <summary>Platforms sometimes echo the credentials they refused; never let them into a delivery's record.</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets)
        {
            if (secret.Length >= 4)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
