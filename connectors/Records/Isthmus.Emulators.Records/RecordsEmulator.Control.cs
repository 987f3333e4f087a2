using System.Text.Json.Nodes;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Isthmus.Emulators.Records;

/// <summary>What the emulator did: writes per type through the API, reads, and change notifications.</summary>
/// <param name="Writes">Changes made through <c>/api</c> per type (creates, updates, deletes, batch items; not repeats of an idempotency key).</param>
/// <param name="Reads">List and get calls per type.</param>
/// <param name="WebhooksPending">Notifications queued and not yet sent (or given up).</param>
/// <param name="ApiCalls">Requests to <c>/api</c>, whatever their answer (a batch call counts once), so a client's calls per record can be measured.</param>
public sealed record RecordsEmulatorStats(
    IReadOnlyDictionary<string, long> Writes, IReadOnlyDictionary<string, long> Reads,
    long WebhooksSent, long WebhooksDropped, long WebhooksFailed, long WebhooksPending, long ApiCalls = 0);

/// <summary>The control API (<c>/_emulator/…</c>) and the same abilities for in-process tests.</summary>
public sealed partial class RecordsEmulator
{
    /// <summary>The header carrying <c>sha256=&lt;hex&gt;</c> on change notifications.</summary>
    public const string SignatureHeader = WebhookSender.SignatureHeader;

    /// <summary>The header carrying the notification's unix time in seconds, covered by the signature.</summary>
    public const string TimestampHeader = WebhookSender.TimestampHeader;

    /// <summary>The record types seen so far (configured, or created by use).</summary>
    public IReadOnlyList<string> Types => _store.TypeNames();

    /// <summary>The injected faults now in force (counts as left).</summary>
    public RecordFaults Faults => _faults.Current;

    /// <summary>Sends a signed notification of every later change to <paramref name="url"/>.</summary>
    public void Subscribe(string url, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        lock (_webhooks.Subscribers)
        {
            _webhooks.Subscribers.Add(new WebhookSubscription(url, secret));
        }
    }

    /// <summary>Replaces the injected faults.</summary>
    public void SetFaults(RecordFaults faults) => _faults.Set(faults ?? new RecordFaults());

    /// <summary>Every later change gets <paramref name="at"/> as its updatedAt (<c>null</c>: the clock runs again).</summary>
    public void FreezeClock(DateTimeOffset? at) => _store.FrozenAt = at;

    /// <summary>
    /// Creates or merges records directly, "behind the back" of the API: not counted as API writes, and announced
    /// by webhook only when <paramref name="notify"/>. A record's id is its <c>id</c> field, or generated.
    /// </summary>
    public IReadOnlyList<JsonObject> Change(string type, IEnumerable<JsonObject> records, bool notify = false)
    {
        ArgumentNullException.ThrowIfNull(records);
        var stored = new List<JsonObject>();
        foreach (var fields in records)
        {
            var answer = fields["id"] is { } id
                ? _store.Merge(type, id.ToString(), fields, null, upsert: true, notify, countWrite: false)
                : _store.Create(type, fields, notify, countWrite: false);
            stored.Add((JsonObject)answer.Body!);
        }

        return stored;
    }

    /// <summary>Deletes a record directly (a tombstone stays); <c>false</c> when it did not exist.</summary>
    public bool Delete(string type, string id, bool notify = false) => _store.Delete(type, id, null, notify, countWrite: false).Status == 204;

    /// <summary>Every record of <paramref name="type"/> in change order, tombstones included.</summary>
    public IReadOnlyList<JsonObject> Records(string type) => _store.All(type);

    /// <summary>One live record, or <c>null</c>.</summary>
    public JsonObject? Record(string type, string id) => _store.Get(type, id).Body is JsonObject r && r["error"] is null ? r : null;

    /// <summary>Counts so far.</summary>
    public RecordsEmulatorStats Stats()
    {
        Dictionary<string, long> reads;
        lock (_reads)
        {
            reads = new Dictionary<string, long>(_reads, StringComparer.Ordinal);
        }

        return new RecordsEmulatorStats(_store.WritesByType(), reads, _webhooks.Sent, _webhooks.Dropped, _webhooks.Failed, _webhooks.Pending,
            Interlocked.Read(ref _apiCalls));
    }

    /// <summary>Waits until every queued notification was sent or given up (polling), or fails after <paramref name="timeout"/>.</summary>
    public async Task WhenWebhooksIdleAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (_webhooks.Pending > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_webhooks.Pending} change notifications still queued");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>http</c> connection that reads and writes this emulator's records (every known type).</summary>
    public EmulatorConnection HttpConnection()
    {
        var settings = new Dictionary<string, string> { ["baseUrl"] = Url };
        if (Options.ApiKey is { } key)
        {
            settings["auth"] = $"{{ bearer: \"{key}\" }}";
        }

        settings["records"] = "{ " + string.Join(", ", Types.Select(t => $"{t}: {{ path: /api/{t} }}")) + " }";
        return new EmulatorConnection("http", settings);
    }

    /// <summary>The <c>webhook</c> connection that receives and verifies this emulator's change notifications.</summary>
    public static EmulatorConnection WebhookConnection(string secret) => new("webhook", new Dictionary<string, string>
    {
        ["auth"] = $"{{ type: hmac-sha256, secret: \"{secret}\", header: {SignatureHeader}, prefix: \"sha256=\", timestampHeader: {TimestampHeader} }}",
        ["key"] = "{ path: recordId }",
        ["time"] = "{ path: time }",
    });

    private void MapControl(WebApplication app)
    {
        var control = app.MapGroup("/_emulator");
        control.MapGet("/records/{type}", (string type) => Results.Json(new JsonArray([.. Records(type)])));
        control.MapPost("/records/{type}", async (HttpContext c, string type) =>
        {
            if (await BodyAsync(c) is not { } body)
            {
                return Results.Empty;
            }

            var notify = body["notify"] is JsonValue n && n.GetValueKind() == System.Text.Json.JsonValueKind.True;
            var items = body["items"] as JsonArray ?? [];
            // Checked before any is applied: a record's fields written next to "id" would otherwise make an empty record.
            foreach (var item in items)
            {
                var stray = (item as JsonObject)?.Select(p => p.Key).FirstOrDefault(k => k is not ("id" or "fields" or "delete"));
                if (item is not JsonObject || stray is not null)
                {
                    var what = stray is null ? "" : $"'{stray}' is not an item key; put the record's fields under \"fields\". ";
                    return Results.Json(new { error = what + "Items are {\"id\"?, \"fields\": {…}, \"delete\"?}." }, statusCode: 400);
                }
            }

            var results = new JsonArray();
            foreach (var item in items)
            {
                var o = (JsonObject)item!;
                var id = o["id"]?.ToString();
                if (o["delete"] is JsonValue d && d.GetValueKind() == System.Text.Json.JsonValueKind.True)
                {
                    results.Add(id is not null && Delete(type, id, notify));
                    continue;
                }

                var fields = (JsonObject?)o["fields"]?.DeepClone() ?? [];
                if (id is not null)
                {
                    fields["id"] = id;
                }

                results.Add(Change(type, [fields], notify)[0]);
            }

            return Results.Json(results);
        });
        control.MapGet("/stats", () => Results.Json(Stats()));
        control.MapGet("/faults", () => Results.Json(Faults));
        control.MapPost("/faults", (RecordFaults faults) =>
        {
            SetFaults(faults);
            return Results.Json(Faults);
        });
        control.MapDelete("/faults", () =>
        {
            SetFaults(new RecordFaults());
            return Results.NoContent();
        });
        control.MapPost("/webhooks", (WebhookSubscription subscription) =>
        {
            if (string.IsNullOrEmpty(subscription.Url) || string.IsNullOrEmpty(subscription.Secret))
            {
                return Results.Json(new { error = "send {\"url\": \"http://…\", \"secret\": \"…\"}" }, statusCode: 400);
            }

            Subscribe(subscription.Url, subscription.Secret);
            return Results.NoContent();
        });
        control.MapPost("/clock", async (HttpContext c) =>
        {
            if (await BodyAsync(c) is not { } body)
            {
                return Results.Empty;
            }

            var text = body["frozenAt"]?.ToString();
            if (text is null)
            {
                FreezeClock(null);
                return Results.NoContent();
            }

            if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
            {
                return Results.Json(new { error = $"frozenAt '{text}' is not an ISO-8601 time" }, statusCode: 400);
            }

            FreezeClock(at);
            return Results.NoContent();
        });
        control.MapGet("/connection", () => Results.Text(HttpConnection().ToYaml("records"), "text/plain"));
    }
}
