using Isthmus.Connections;
using Isthmus.Connectors;
using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Ordering;
using Isthmus.Storage;
using Isthmus.Sync;
using Isthmus.Telemetry;
using Microsoft.Extensions.Logging;

namespace Isthmus.Runtime;

/// <summary>
/// The data path after the acknowledgement: pending events are read in order, processed per entity key,
/// and the deliveries they wrote are sent per connection, in order per key, with durable retries.
/// </summary>
public sealed partial class IsthmusEngine : IAsyncDisposable
{
    private const int EventWorkers = 32;
    private const int DeliveryWorkersPerConnection = 64;
    private const int InMemoryCapacity = 20_000;

    private readonly IStore _store;
    private readonly IsthmusMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EventProcessor _processor;
    private readonly DeliverySender _sender;
    private readonly KeyedWorkQueue<StoredEvent> _events;
    private readonly PendingWorkReader<StoredEvent> _eventReader;
    private readonly PendingWorkReader<PendingDelivery> _deliveryReader;
    private readonly Dictionary<string, KeyedWorkQueue<PendingDelivery>> _deliveryQueues = new(StringComparer.Ordinal);
    private readonly Lock _queuesGate = new();
    private readonly SyncEngine _sync;
    private volatile ActiveConfiguration _active;
    private int _deliveriesInMemory;

    /// <summary>Creates the engine over a store and a first configuration; call <see cref="Start"/>.</summary>
    public IsthmusEngine(IStore store, ActiveConfiguration active, IsthmusMetrics metrics, TimeProvider time, ILoggerFactory logs)
    {
        _store = store;
        _active = active;
        _metrics = metrics;
        _time = time;
        _logger = logs.CreateLogger("Isthmus.Runtime");
        _processor = new EventProcessor(store, metrics, time);
        _sender = new DeliverySender(store, () => _active, metrics, time, logs.CreateLogger("Isthmus.Deliveries"));
        _sync = new SyncEngine(store.Sync, () => _active, metrics, time, logs);
        _events = new KeyedWorkQueue<StoredEvent>(EventWorkers, ProcessAsync, time);
        _eventReader = new PendingWorkReader<StoredEvent>(store.ReadPendingEventsAsync, e => e.Seq,
            e => _events.Enqueue(OrderKey(e), e), () => _events.Count, InMemoryCapacity, ex => LogReadFailed(_logger, "events", ex));
        _deliveryReader = new PendingWorkReader<PendingDelivery>(store.ReadPendingDeliveriesAsync, d => d.Id,
            Send, () => Volatile.Read(ref _deliveriesInMemory), InMemoryCapacity, ex => LogReadFailed(_logger, "deliveries", ex));
        // What a commit wrote goes straight to the queues instead of being read back from the store.
        store.WatchCommits(_eventReader.Offer, _deliveryReader.Offer);
    }

    /// <summary>The configuration in force.</summary>
    public ActiveConfiguration Active => _active;

    /// <summary>Two-way sync of the unified model.</summary>
    public SyncEngine Sync => _sync;

    /// <summary>Starts reading pending work: recovery after a restart is the same read from the beginning.</summary>
    public void Start()
    {
        _eventReader.Start();
        _deliveryReader.Start();
        _sync.Start();
    }

    /// <summary>Puts a new configuration in force; the old connectors are disposed once in-flight calls had time to end.</summary>
    public void Activate(ActiveConfiguration next)
    {
        var previous = _active;
        _active = next;
        if (!ReferenceEquals(previous.Connectors, next.Connectors))
        {
            _ = Task.Delay(TimeSpan.FromSeconds(30), _time).ContinueWith(_ => previous.Connectors.DisposeAsync().AsTask(), TaskScheduler.Default);
        }
    }

    /// <summary>Appends one inbound event; completes once it is durable.</summary>
    public async ValueTask<AppendResult> AcceptAsync(string connection, EventDraft draft, string? traceParent, CancellationToken cancellationToken)
    {
        var result = await _store.AppendEventAsync(connection, draft, _time.GetUtcNow(), traceParent, cancellationToken).ConfigureAwait(false);
        if (result.Duplicate)
        {
            _metrics.EventsDuplicate.Add(1, new KeyValuePair<string, object?>("connection", connection));
        }
        else
        {
            _metrics.EventsAccepted.Add(1, new KeyValuePair<string, object?>("connection", connection));
            _eventReader.Notify();
        }

        return result;
    }

    /// <summary>Runs an event's flows again (only <paramref name="onlyFlow"/> when given), with fresh idempotency keys.</summary>
    public async Task<bool> ReplayEventAsync(long seq, string? onlyFlow, CancellationToken cancellationToken)
    {
        if (!await _store.Admin.ReplayEventAsync(seq, onlyFlow, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Its seq is behind the reader's cursor, so it is fed here.
        if (await _store.Admin.GetEventAsync(seq, cancellationToken).ConfigureAwait(false) is { } ev)
        {
            _events.Enqueue(OrderKey(ev), ev);
        }

        return true;
    }

    /// <summary>Sends a dead letter again with a fresh set of attempts and the same idempotency key.</summary>
    public async Task<bool> ReplayDeliveryAsync(long id, CancellationToken cancellationToken)
    {
        var delivery = await _store.Admin.ReplayDeliveryAsync(id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (delivery is null)
        {
            return false;
        }

        Send(delivery);
        return true;
    }

    /// <summary>Items held in memory: (events, deliveries).</summary>
    public (int Events, int Deliveries) InMemory => (_events.Count, Volatile.Read(ref _deliveriesInMemory));

    private static string? OrderKey(StoredEvent e) => e.Key is null ? null : e.Connection + "\n" + e.Key;

    private async ValueTask<WorkResult<StoredEvent>> ProcessAsync(StoredEvent ev, CancellationToken cancellationToken)
    {
        try
        {
            // Change notifications reach the model before the event counts as processed, so none is lost in between.
            await _sync.HandleEventAsync(ev, cancellationToken).ConfigureAwait(false);
            var created = await _processor.ProcessAsync(ev, _active, cancellationToken).ConfigureAwait(false);
            if (created.Count > 0)
            {
                _deliveryReader.Notify();
            }

            return WorkResult<StoredEvent>.Finished;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A store failure: the event stays pending; try again shortly, keeping its place in its key's order.
            LogProcessFailed(_logger, ev.Seq, ex);
            return WorkResult<StoredEvent>.RetryLater(ev, _time.GetUtcNow().AddSeconds(1));
        }
    }

    private void Send(PendingDelivery delivery)
    {
        KeyedWorkQueue<PendingDelivery> queue;
        lock (_queuesGate)
        {
            if (!_deliveryQueues.TryGetValue(delivery.Connection, out queue!))
            {
                queue = new KeyedWorkQueue<PendingDelivery>(DeliveryWorkersPerConnection, SendAsync, _time);
                _deliveryQueues[delivery.Connection] = queue;
            }
        }

        Interlocked.Increment(ref _deliveriesInMemory);
        queue.Enqueue(delivery.OrderKey, delivery);
    }

    private async ValueTask<WorkResult<PendingDelivery>> SendAsync(PendingDelivery delivery, CancellationToken cancellationToken)
    {
        WorkResult<PendingDelivery> result;
        try
        {
            result = await _sender.SendAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSendFailed(_logger, delivery.Id, ex);
            result = WorkResult<PendingDelivery>.RetryLater(delivery, _time.GetUtcNow().AddSeconds(1));
        }

        if (result.Done)
        {
            Interlocked.Decrement(ref _deliveriesInMemory);
            _deliveryReader.Notify();
        }

        return result;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _sync.DisposeAsync().ConfigureAwait(false);
        await _eventReader.DisposeAsync().ConfigureAwait(false);
        await _deliveryReader.DisposeAsync().ConfigureAwait(false);
        await _events.DisposeAsync().ConfigureAwait(false);
        foreach (var queue in _deliveryQueues.Values)
        {
            await queue.DisposeAsync().ConfigureAwait(false);
        }

        await _active.Connectors.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Reading pending {Queue} failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Processing event {Seq} failed; it stays pending and is retried")]
    private static partial void LogProcessFailed(ILogger logger, long seq, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Delivery {DeliveryId} could not be recorded; it stays pending and is retried")]
    private static partial void LogSendFailed(ILogger logger, long deliveryId, Exception exception);
}
