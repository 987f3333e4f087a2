using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Runs;

namespace Isthmus.Storage;

/// <summary>What people see and do: listings, replays, dead-letter handling, API keys, the audit log.</summary>
public interface IStoreAdmin
{
    /// <summary>Events, newest first.</summary>
    Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>One event by sequence number.</summary>
    Task<StoredEvent?> GetEventAsync(long seq, CancellationToken cancellationToken);

    /// <summary>Runs, newest first.</summary>
    Task<IReadOnlyList<RunView>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>One run.</summary>
    Task<RunView?> GetRunAsync(long id, CancellationToken cancellationToken);

    /// <summary>Deliveries, newest first.</summary>
    Task<IReadOnlyList<DeliveryView>> ListDeliveriesAsync(DeliveryQuery query, CancellationToken cancellationToken);

    /// <summary>One delivery.</summary>
    Task<DeliveryView?> GetDeliveryAsync(long id, CancellationToken cancellationToken);

    /// <summary>A delivery's attempts, first first.</summary>
    Task<IReadOnlyList<AttemptRecord>> ListAttemptsAsync(long deliveryId, CancellationToken cancellationToken);

    /// <summary>Puts an event back to pending so its flows run again (only <paramref name="onlyFlow"/> when given).</summary>
    Task<bool> ReplayEventAsync(long seq, string? onlyFlow, CancellationToken cancellationToken);

    /// <summary>Puts a dead letter back in the outbox with a fresh set of attempts; same idempotency key.</summary>
    Task<PendingDelivery?> ReplayDeliveryAsync(long id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Drops a dead letter for good.</summary>
    Task<bool> DiscardDeliveryAsync(long id, CancellationToken cancellationToken);

    /// <summary>Flow enable/disable overrides set through the API (flow → enabled).</summary>
    Task<IReadOnlyDictionary<string, bool>> ReadFlowOverridesAsync(CancellationToken cancellationToken);

    /// <summary>Sets a flow's enable/disable override.</summary>
    Task SetFlowOverrideAsync(string flow, bool enabled, CancellationToken cancellationToken);

    /// <summary>Counts for the dashboard and metrics.</summary>
    Task<StoreCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>API keys (hashed).</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new API key's hash.</summary>
    Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Removes an API key.</summary>
    Task<bool> DeleteApiKeyAsync(string id, CancellationToken cancellationToken);

    /// <summary>Appends to the audit log.</summary>
    Task AuditAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The audit log, newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Known chat identities, newest first, of one connection or all.</summary>
    Task<IReadOnlyList<IdentityRecord>> ListIdentitiesAsync(string? connection, int limit, CancellationToken cancellationToken);

    /// <summary>The platform user id kept for a connection's kind = value.</summary>
    Task<string?> FindIdentityAsync(string connection, string kind, string value, CancellationToken cancellationToken);

    /// <summary>Keeps or replaces one identity.</summary>
    Task SaveIdentityAsync(IdentityRecord identity, CancellationToken cancellationToken);

    /// <summary>Forgets one identity; <c>false</c> when there was none.</summary>
    Task<bool> DeleteIdentityAsync(string connection, string kind, string value, CancellationToken cancellationToken);
}

/// <summary>Event filter. <paramref name="BeforeSeq"/> pages backwards.</summary>
public sealed record EventQuery(string? Connection = null, string? Type = null, string? Key = null, EventStatus? Status = null, long? BeforeSeq = null, int Limit = 50);

/// <summary>Run filter.</summary>
public sealed record RunQuery(string? Flow = null, RunStatus? Status = null, long? EventSeq = null, long? BeforeId = null, int Limit = 50);

/// <summary>Delivery filter; <c>Status = Dead</c> lists the dead letters.</summary>
public sealed record DeliveryQuery(string? Connection = null, DeliveryStatus? Status = null, long? RunId = null, long? BeforeId = null, int Limit = 50);

/// <summary>A run as shown by the API.</summary>
public sealed record RunView(long Id, long EventSeq, string Flow, string? Key, RunStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, string StepsJson, string? Error, int PendingDeliveries);

/// <summary>A delivery as shown by the API.</summary>
public sealed record DeliveryView(long Id, long RunId, long EventSeq, string Connection, string Action, string PayloadJson,
    string IdempotencyKey, DeliveryStatus Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt, int? LastStatusCode, string? LastError);

/// <summary>Totals for metrics and the status line.</summary>
public sealed record StoreCounts(long PendingEvents, long PendingDeliveries, long DeadLetters, long RunningRuns, DateTimeOffset? OldestPendingEvent, DateTimeOffset? OldestPendingDelivery);

/// <summary>An API key: only its SHA-256 is kept.</summary>
public sealed record ApiKeyRecord(string Id, string Name, string Role, string Hash, DateTimeOffset CreatedAt);

/// <summary>Which platform user answers to <paramref name="Kind"/> = <paramref name="Value"/> on a connection, and who said so (<c>lookup</c> or <c>manual</c>).</summary>
public sealed record IdentityRecord(string Connection, string Kind, string Value, string UserId, string Source, DateTimeOffset UpdatedAt);

/// <summary>One audited action: who did what to which thing.</summary>
public sealed record AuditEntry(DateTimeOffset At, string Actor, string Action, string Target, string? Detail);
