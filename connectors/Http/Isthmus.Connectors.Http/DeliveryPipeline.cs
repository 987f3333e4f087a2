using System.Threading.RateLimiting;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Isthmus.Connectors.Http;

/// <summary>
/// The per-connection resilience around one call: circuit breaker → rate limiter → concurrency limiter → timeout.
/// The breaker is outermost so an open circuit fails at once instead of after a wait in the queues. Both limiters
/// queue (never refuse) because a delivery that waits a little beats one re-scheduled by the outbox. There is no
/// retry here: retries are durable and scheduled by the host, so this only shapes and classifies single calls.
/// </summary>
internal sealed class DeliveryPipeline : IAsyncDisposable
{
    private readonly ConcurrencyLimiter _concurrency;
    private readonly TokenBucketRateLimiter? _rate;

    public DeliveryPipeline(HttpConnectionOptions options, TimeProvider time)
    {
        var breaker = options.CircuitBreaker;
        var builder = new ResiliencePipelineBuilder<DeliveryResponse> { TimeProvider = time };
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<DeliveryResponse>
        {
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinimumThroughput,
            SamplingDuration = breaker.Sampling,
            BreakDuration = breaker.Break,
            ShouldHandle = new PredicateBuilder<DeliveryResponse>()
                .Handle<HttpRequestException>()
                .Handle<IOException>()
                .Handle<TimeoutRejectedException>()
                .HandleResult(r => r.IsTransient),
        });

        if (options.RateLimit is var (permits, period))
        {
            // A full bucket allows a burst of one period's permits, then refills at the configured pace. The limiter
            // keeps its own monotonic clock (it has no TimeProvider hook; manual replenishment also checks real time).
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = permits,
                TokensPerPeriod = permits,
                ReplenishmentPeriod = period,
                AutoReplenishment = true,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
            builder.AddRateLimiter(_rate);
        }

        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrency,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        builder.AddRateLimiter(_concurrency);
        builder.AddTimeout(options.Timeout);
        Pipeline = builder.Build();
    }

    public ResiliencePipeline<DeliveryResponse> Pipeline { get; }

    public async ValueTask DisposeAsync()
    {
        if (_rate is not null)
        {
            await _rate.DisposeAsync();
        }

        await _concurrency.DisposeAsync();
    }
}
