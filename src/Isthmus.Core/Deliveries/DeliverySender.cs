using System.Diagnostics;
using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Runtime;
using Isthmus.Ordering;
using Isthmus.Storage;
using Isthmus.Telemetry;
using Microsoft.Extensions.Logging;

namespace Isthmus.Deliveries;

/// <summary>
/// Sends one delivery through its connector, records the attempt, and decides what comes next: done,
/// retry at a backoff time, or dead letter. Retries are durable (the next attempt time is stored), which
/// is why they are scheduled here and not in an in-memory retry loop.
/// </summary>
internal sealed partial class DeliverySender(IStore store, Func<ActiveConfiguration> active, IsthmusMetrics metrics, TimeProvider time, ILogger logger)
{
    public async ValueTask<WorkResult<PendingDelivery>> SendAsync(PendingDelivery d, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (d.NextAttemptAt > now)
        {
            return WorkResult<PendingDelivery>.RetryLater(d, d.NextAttemptAt);
        }

        var config = active();
        var policy = config.Config.Deliveries;
        var attempt = d.Attempts + 1;
        int? status = null;
        string? error;
        FailureKind kind;
        TimeSpan? retryAfter = null;
        using var activity = StartActivity(d);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var connector = config.Connectors.Get<IOutboundConnector>(d.Connection)
                ?? throw new ConnectorException($"connection '{d.Connection}' is not configured (or cannot send); fix the configuration, then replay", FailureKind.Rejected);
            var receipt = await connector.DeliverAsync(
                new Delivery(d.Id, d.Connection, d.Action, d.Payload, d.IdempotencyKey, attempt, activity?.Id ?? d.TraceParent),
                cancellationToken).ConfigureAwait(false);
            var done = time.GetUtcNow();
            await store.RecordAttemptAsync(new AttemptRecord(d.Id, d.RunId, attempt, now, Stopwatch.GetElapsedTime(started), receipt.StatusCode,
                AttemptOutcome.Delivered, null, null), CancellationToken.None).ConfigureAwait(false);
            metrics.DeliveryAttempts.Add(1, new("connection", d.Connection), new("outcome", "delivered"));
            metrics.DeliveryLatency.Record((done - d.EventReceivedAt).TotalSeconds, new KeyValuePair<string, object?>("connection", d.Connection));
            return WorkResult<PendingDelivery>.Finished;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // Shutting down: the delivery stays pending and is sent again, under the same idempotency key.
        }
        catch (ConnectorException ex)
        {
            (kind, error, status, retryAfter) = (ex.Kind, ex.Message, ex.StatusCode, ex.RetryAfter);
        }
        catch (Exception ex)
        {
            (kind, error) = (FailureKind.Transient, $"{ex.GetType().Name}: {ex.Message}");
        }

        activity?.SetStatus(ActivityStatusCode.Error, error);
        var retriesLeft = attempt - d.AttemptBase < policy.MaxAttempts;
        var dead = kind is FailureKind.Rejected or FailureKind.Unauthorized || !retriesLeft;
        DateTimeOffset? next = dead ? null : now + Backoff.Delay(attempt - d.AttemptBase, policy.BaseDelay, policy.MaxDelay, retryAfter, Random.Shared.NextDouble());
        if (dead && kind is FailureKind.Transient or FailureKind.RateLimited)
        {
            error = $"{error} (gave up after {attempt - d.AttemptBase} attempts)";
        }

        await store.RecordAttemptAsync(new AttemptRecord(d.Id, d.RunId, attempt, now, Stopwatch.GetElapsedTime(started), status,
            dead ? AttemptOutcome.Dead : AttemptOutcome.Retrying, error, next), CancellationToken.None).ConfigureAwait(false);
        metrics.DeliveryAttempts.Add(1, new("connection", d.Connection), new("outcome", dead ? "dead" : "retrying"));
        if (dead)
        {
            LogDeadLetter(logger, d.Id, d.Connection, attempt, error);
            return WorkResult<PendingDelivery>.Finished;
        }

        LogRetry(logger, d.Id, d.Connection, attempt, next!.Value, error);
        return WorkResult<PendingDelivery>.RetryLater(d with { Attempts = attempt, NextAttemptAt = next.Value }, next.Value);
    }

    private static Activity? StartActivity(PendingDelivery d)
    {
        ActivityContext.TryParse(d.TraceParent, null, out var parent);
        var activity = IsthmusMetrics.Activities.StartActivity("delivery.send", ActivityKind.Client, parent);
        activity?.SetTag("isthmus.delivery.id", d.Id);
        activity?.SetTag("isthmus.connection", d.Connection);
        return activity;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to {Connection} failed on attempt {Attempt}; retrying at {NextAttemptAt}: {Error}")]
    private static partial void LogRetry(ILogger logger, long deliveryId, string connection, int attempt, DateTimeOffset nextAttemptAt, string? error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Delivery {DeliveryId} to {Connection} is a dead letter after attempt {Attempt}: {Error}")]
    private static partial void LogDeadLetter(ILogger logger, long deliveryId, string connection, int attempt, string? error);
}
