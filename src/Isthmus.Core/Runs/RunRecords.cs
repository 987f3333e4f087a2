namespace Isthmus.Runs;

/// <summary>Where a run is. A run stays <see cref="Running"/> until each of its deliveries is delivered or dead.</summary>
public enum RunStatus
{
    /// <summary>Steps done; deliveries outstanding.</summary>
    Running = 0,
    /// <summary>Every step done and every delivery delivered.</summary>
    Completed = 1,
    /// <summary>A step failed, or a delivery became a dead letter.</summary>
    Failed = 2,
}

/// <summary>A run to create when an event is processed, with the deliveries its action steps wrote.</summary>
public sealed record NewRun(string Flow, string? Key, RunStatus Status, string StepsJson, string? Error, IReadOnlyList<NewDelivery> Deliveries);

/// <summary>A delivery to write to the outbox.</summary>
/// <param name="OrderKey">Deliveries with the same order key are sent one after another, in creation order.</param>
public sealed record NewDelivery(string Connection, string Action, byte[] Payload, string IdempotencyKey, string? OrderKey, string? TraceParent);

/// <summary>The new watched value of an only-on-change filter for one flow and entity key.</summary>
public sealed record ChangeStateUpdate(string Flow, string Key, string? Value);

/// <summary>The result of processing one event, committed in one transaction.</summary>
public sealed record EventCompletion(long Seq, DateTimeOffset ReceivedAt, string Outcome, IReadOnlyList<NewRun> Runs, IReadOnlyList<ChangeStateUpdate> ChangeStates);
