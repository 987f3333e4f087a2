namespace Isthmus.Connectors;

/// <summary>How a failed delivery should be treated.</summary>
public enum FailureKind
{
    /// <summary>Try again later with backoff (5xx, timeouts, 408, connection errors).</summary>
    Transient,
    /// <summary>Try again after <see cref="ConnectorException.RetryAfter"/> (429 and the platform's own limits).</summary>
    RateLimited,
    /// <summary>Credentials refused (401/403): not retried; dead-lettered so a person fixes the secret and replays.</summary>
    Unauthorized,
    /// <summary>The platform refused the request itself (4xx other than 408/429): never retried, dead-lettered at once.</summary>
    Rejected,
}

/// <summary>A classified delivery failure. The thrower decides whether a retry can help.</summary>
public sealed class ConnectorException(string message, FailureKind kind, TimeSpan? retryAfter = null,
    int? statusCode = null, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>How to treat the failure.</summary>
    public FailureKind Kind { get; } = kind;

    /// <summary>When the platform said to come back (e.g. <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The platform's status, when there was one.</summary>
    public int? StatusCode { get; } = statusCode;
}
