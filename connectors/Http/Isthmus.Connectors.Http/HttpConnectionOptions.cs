namespace Isthmus.Connectors.Http;

/// <summary>A validated <c>http</c> connection.</summary>
/// <param name="Headers">Static and auth headers, sent on every call in this order.</param>
/// <param name="Secrets">Values never to show in a message (auth values), even when the platform echoes them.</param>
internal sealed record HttpConnectionOptions(
    Uri BaseUrl,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<string> Secrets,
    TimeSpan Timeout,
    int MaxConcurrency,
    (int Permits, TimeSpan Period)? RateLimit,
    string IdempotencyHeader,
    CircuitBreakerSettings CircuitBreaker);

/// <summary>When to stop calling a failing platform for a while. Defaults match the documentation.</summary>
internal sealed record CircuitBreakerSettings(
    double FailureRatio = 0.5,
    int MinimumThroughput = 20,
    TimeSpan? SamplingDuration = null,
    TimeSpan? BreakDuration = null)
{
    public TimeSpan Sampling => SamplingDuration ?? TimeSpan.FromSeconds(30);

    public TimeSpan Break => BreakDuration ?? TimeSpan.FromSeconds(15);
}
