using System.Text.Json;
using Isthmus.Events;
using Isthmus.Storage;

namespace Isthmus.Api;

/// <summary>An event as the API shows it.</summary>
public sealed record EventDto(long Seq, string Id, string Connection, string Type, string? Entity, string? Key, string? Subject,
    DateTimeOffset? Time, DateTimeOffset ReceivedAt, EventStatus Status, string? Outcome, int Replays, string? TraceParent, JsonElement Data)
{
    internal static EventDto From(StoredEvent e) => new(e.Seq, e.Id, e.Connection, e.Type, e.Entity, e.Key, e.Subject, e.Time,
        e.ReceivedAt, e.Status, e.Outcome, e.Replays, e.TraceParent, Json(e.Data));

    internal static JsonElement Json(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(System.Text.Encoding.UTF8.GetString(utf8.Span));
        }
    }
}

/// <summary>A run with its steps.</summary>
public sealed record RunDto(long Id, long EventSeq, string Flow, string? Key, Runs.RunStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, JsonElement Steps, string? Error, int PendingDeliveries)
{
    internal static RunDto From(RunView r) => new(r.Id, r.EventSeq, r.Flow, r.Key, r.Status, r.StartedAt, r.FinishedAt,
        EventDto.Json(System.Text.Encoding.UTF8.GetBytes(r.StepsJson)), r.Error, r.PendingDeliveries);
}

/// <summary>A delivery with its payload.</summary>
public sealed record DeliveryDto(long Id, long RunId, long EventSeq, string Connection, string Action, JsonElement Payload,
    string IdempotencyKey, Deliveries.DeliveryStatus Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt, int? LastStatusCode, string? LastError)
{
    internal static DeliveryDto From(DeliveryView d) => new(d.Id, d.RunId, d.EventSeq, d.Connection, d.Action,
        EventDto.Json(System.Text.Encoding.UTF8.GetBytes(d.PayloadJson)), d.IdempotencyKey, d.Status, d.Attempts, d.CreatedAt,
        d.NextAttemptAt, d.DeliveredAt, d.LastStatusCode, d.LastError);
}

/// <summary>A page of items; pass <see cref="Next"/> as <c>before</c> for the next page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long? Next);

/// <summary>A flow of the running configuration.</summary>
public sealed record FlowDto(string Name, bool Enabled, string Trigger, string? Condition, int Steps, string Location);

/// <summary>The configuration files in use and why the last reload, if any, was refused.</summary>
public sealed record ConfigStatusDto(IReadOnlyList<string> Files, IReadOnlyList<string> LastReloadErrors);

/// <summary>The store's backlog, and the work held in memory.</summary>
public sealed record StatusDto(StoreCounts Counts, InMemoryDto InMemory);

/// <summary>Events and deliveries held in memory, waiting for a worker.</summary>
public sealed record InMemoryDto(int Events, int Deliveries);

/// <summary>Sync counts by kind, each mapping's read cursor, and the jobs running.</summary>
public sealed record SyncStatusDto(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<SyncCursorDto> Cursors, IReadOnlyList<object> Jobs);

/// <summary>Where reading a mapping's changes has got to.</summary>
public sealed record SyncCursorDto(string Entity, string Connection, string RecordType, string? Cursor, DateTimeOffset UpdatedAt);
