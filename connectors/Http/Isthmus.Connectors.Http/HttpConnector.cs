using System.Net;
using System.Net.Http.Headers;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Isthmus.Connectors.Http;

/// <summary>
/// Performs <c>request</c> deliveries against one base URL over a long-lived, pooled <see cref="HttpClient"/>.
/// Every outcome is classified for the host's outbox: a receipt, or a <see cref="ConnectorException"/> that says
/// whether (and when) retrying can help.
/// </summary>
internal sealed class HttpConnector : IOutboundConnector
{
    private readonly HttpConnectionOptions _options;
    private readonly HttpClient _client;
    private readonly DeliveryPipeline _pipeline;
    private readonly TimeProvider _time;

    public HttpConnector(string connection, HttpConnectionOptions options, TimeProvider time, HttpMessageHandler? handler = null)
    {
        Connection = connection;
        _options = options;
        _time = time;
        // The pipeline owns the timeout; HttpClient's own would race it with a less precise message.
        _client = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _pipeline = new DeliveryPipeline(options, time);
    }

    public string Connection { get; }

    public IReadOnlyCollection<string> Actions { get; } = ["request"];

    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.Action != "request")
        {
            throw new ConnectorException($"delivery {delivery.Id}: action '{delivery.Action}' is not supported by http connections; supported: request", FailureKind.Rejected);
        }

        RequestPayload payload;
        Uri url;
        try
        {
            payload = RequestPayload.Parse(delivery.Payload);
            url = TargetUrl.Resolve(_options.BaseUrl, payload.Path, payload.Query);
        }
        catch (FormatException ex)
        {
            // The flow produced a request that can never succeed: dead-letter it at once.
            throw new ConnectorException($"delivery {delivery.Id}: {ex.Message}", FailureKind.Rejected, innerException: ex);
        }

        var call = $"{payload.Method} {url}";
        DeliveryResponse response;
        try
        {
            response = await _pipeline.Pipeline.ExecuteAsync(
                async ct => await SendAsync(OutboundRequest.Create(_options, delivery, payload, url), ct), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (Transient(ex, call) is { } classified)
        {
            throw classified;
        }

        return Classification.Classify(response, call, _time.GetUtcNow(), _options.Secrets);
    }

    /// <summary>
    /// One record call through the same pipeline as deliveries (headers, auth, limits, breaker, timeout), reading the
    /// whole answer. Failures to get an answer are classified; the answer itself, whatever its status, is returned.
    /// </summary>
    internal async ValueTask<DeliveryResponse> CallAsync(HttpMethod method, Uri url, byte[]? body,
        IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var call = $"{method} {url}";
        try
        {
            return await _pipeline.Pipeline.ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(method, url);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                // The connection's headers and auth first; the call's own (If-Match, idempotency key) win.
                foreach (var (name, value) in _options.Headers.Concat(headers))
                {
                    OutboundRequest.Set(request, name, value);
                }

                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                return await DeliveryResponse.ReadWholeAsync(response, MaxRecordAnswer, ct);
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (InvalidDataException ex)
        {
            throw new ConnectorException($"{call} → {ex.Message}", FailureKind.Rejected, innerException: ex);
        }
        catch (Exception ex) when (Transient(ex, call) is { } classified)
        {
            throw classified;
        }
    }

    /// <summary>Classifies a failed record call as a delivery's would be (throws for every non-2xx answer).</summary>
    internal void ThrowFailure(DeliveryResponse response, string call) => _ = Classification.Classify(response, call, _time.GetUtcNow(), _options.Secrets);

    /// <summary>The header that carries a write's idempotency key.</summary>
    internal string IdempotencyHeader => _options.IdempotencyHeader;

    /// <summary>The connection's base URL.</summary>
    internal Uri BaseUrl => _options.BaseUrl;

    private const long MaxRecordAnswer = 64L << 20;

    private async ValueTask<DeliveryResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return await DeliveryResponse.ReadAsync(response, cancellationToken);
        }
    }

    private ConnectorException? Transient(Exception ex, string call) => ex switch
    {
        BrokenCircuitException broken => new ConnectorException(
            $"{call} not sent: the circuit is open after repeated failures" + (broken.RetryAfter is { } wait ? $"; calls resume in {wait.TotalSeconds:0.#} s" : ""),
            FailureKind.Transient, broken.RetryAfter, innerException: ex),
        TimeoutRejectedException => new ConnectorException(
            $"{call} → no response within {_options.Timeout.TotalSeconds:0.###} s (timeout)", FailureKind.Transient, innerException: ex),
        RateLimiterRejectedException limited => new ConnectorException(
            $"{call} not sent: the connection's queue is full", FailureKind.Transient, limited.RetryAfter, innerException: ex),
        HttpRequestException or IOException or OperationCanceledException => new ConnectorException(
            $"{call} → {Classification.Redact(ex.Message, _options.Secrets)}", FailureKind.Transient, innerException: ex),
        _ => null,
    };

    private static SocketsHttpHandler CreateHandler(HttpConnectionOptions options) => new()
    {
        MaxConnectionsPerServer = options.MaxConcurrency,
        // Recycle connections so DNS changes and load balancer moves are picked up.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = options.Timeout,
        // A redirect could carry the auth headers to another host; it is reported instead.
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.All,
        // The delivery carries the event's trace; automatic propagation would add a second, unrelated traceparent.
        ActivityHeadersPropagator = null,
    };

    public async ValueTask DisposeAsync()
    {
        await _pipeline.DisposeAsync();
        _client.Dispose();
    }
}
