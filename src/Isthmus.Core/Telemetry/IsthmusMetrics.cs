using System.Diagnostics;
using System.Diagnostics.Metrics;
using Isthmus.Storage;

namespace Isthmus.Telemetry;

/// <summary>The Isthmus meter and activity source. Exported on <c>/metrics</c> with the <c>isthmus_</c> prefix.</summary>
public sealed class IsthmusMetrics : IDisposable
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Isthmus";

    /// <summary>Records read into the model.</summary>
    public Counter<long> SyncRecords { get; }

    /// <summary>Record writes to systems.</summary>
    public Counter<long> SyncWrites { get; }

    /// <summary>Drift found by reconciliation.</summary>
    public Counter<long> SyncDrift { get; }

    /// <summary>Traces that follow an event from inbound to every delivery.</summary>
    public static readonly ActivitySource Activities = new(Name);

    private readonly Meter _meter = new(Name);
    private StoreCounts _counts = new(0, 0, 0, 0, null, null);

    /// <summary>Creates the instruments.</summary>
    public IsthmusMetrics(TimeProvider time)
    {
        EventsReceived = _meter.CreateCounter<long>("isthmus.events.received", description: "Inbound calls received at /hooks.");
        EventsAccepted = _meter.CreateCounter<long>("isthmus.events.accepted", description: "Events appended to the event log.");
        EventsDuplicate = _meter.CreateCounter<long>("isthmus.events.duplicate", description: "Redelivered events recognised and not processed again.");
        EventsRejected = _meter.CreateCounter<long>("isthmus.events.rejected", description: "Inbound calls refused, by reason.");
        Runs = _meter.CreateCounter<long>("isthmus.runs", description: "Runs created, by flow and status.");
        DeliveryAttempts = _meter.CreateCounter<long>("isthmus.delivery.attempts", description: "Delivery attempts, by connection and outcome.");
        DeliveryLatency = _meter.CreateHistogram(
            "isthmus.delivery.latency", unit: "s", description: "From event received to delivery acknowledged.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        SyncRecords = _meter.CreateCounter<long>("isthmus.sync.records", description: "Records read into the model, by entity, connection and outcome.");
        SyncWrites = _meter.CreateCounter<long>("isthmus.sync.writes", description: "Record writes to systems, by connection and outcome.");
        SyncDrift = _meter.CreateCounter<long>("isthmus.sync.drift", description: "Differences found by reconciliation, by entity and kind (missing, extra, differing).");
        _meter.CreateObservableGauge("isthmus.backlog.events", () => _counts.PendingEvents, description: "Events accepted and not yet processed.");
        _meter.CreateObservableGauge("isthmus.backlog.deliveries", () => _counts.PendingDeliveries, description: "Deliveries waiting to be sent or retried.");
        _meter.CreateObservableGauge("isthmus.dead_letters", () => _counts.DeadLetters, description: "Deliveries in the dead-letter list.");
        _meter.CreateObservableGauge("isthmus.lag",
            () => _counts.OldestPendingEvent is { } t ? Math.Max(0, (time.GetUtcNow() - t).TotalSeconds) : 0,
            unit: "s", description: "Age of the oldest unprocessed event.");
    }

    /// <summary>Inbound calls.</summary>
    public Counter<long> EventsReceived { get; }

    /// <summary>Appended events.</summary>
    public Counter<long> EventsAccepted { get; }

    /// <summary>Duplicates.</summary>
    public Counter<long> EventsDuplicate { get; }

    /// <summary>Refusals by <c>reason</c>.</summary>
    public Counter<long> EventsRejected { get; }

    /// <summary>Runs by <c>flow</c> and <c>status</c>.</summary>
    public Counter<long> Runs { get; }

    /// <summary>Attempts by <c>connection</c> and <c>outcome</c>.</summary>
    public Counter<long> DeliveryAttempts { get; }

    /// <summary>Inbound-to-delivered seconds.</summary>
    public Histogram<double> DeliveryLatency { get; }

    /// <summary>Refreshes the gauges read from the store.</summary>
    public void Update(StoreCounts counts) => _counts = counts;

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
