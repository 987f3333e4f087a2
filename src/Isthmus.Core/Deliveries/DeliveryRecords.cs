namespace Isthmus.Deliveries;

/// <summary>Where a delivery is.</summary>
public enum DeliveryStatus
{
    /// <summary>Waiting to be sent, or to be retried at its next attempt time.</summary>
    Pending = 0,
    /// <summary>Sent and acknowledged.</summary>
    Delivered = 1,
    /// <summary>A dead letter: retries exhausted or refused by the target; waits for replay or discard.</summary>
    Dead = 2,
    /// <summary>A dead letter a person chose to drop.</summary>
    Discarded = 3,
}

/// <summary>How one attempt ended.</summary>
public enum AttemptOutcome
{
    /// <summary>Acknowledged by the target.</summary>
    Delivered,
    /// <summary>Failed; another attempt is scheduled.</summary>
    Retrying,
    /// <summary>Failed for good; the delivery is now a dead letter.</summary>
    Dead,
}

/// <summary>A delivery waiting in the outbox.</summary>
public sealed record PendingDelivery(
    long Id,
    long RunId,
    string Connection,
    string Action,
    ReadOnlyMemory<byte> Payload,
    string IdempotencyKey,
    string? OrderKey,
    int Attempts,
    int AttemptBase,
    DateTimeOffset NextAttemptAt,
    string? TraceParent,
    DateTimeOffset EventReceivedAt);

/// <summary>One attempt's record, and what it did to its delivery.</summary>
public sealed record AttemptRecord(
    long DeliveryId,
    long RunId,
    int Attempt,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    int? StatusCode,
    AttemptOutcome Outcome,
    string? Error,
    DateTimeOffset? NextAttemptAt);
