using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Isthmus.Emulators.Records;

/// <summary>
/// A local record system (an OA, CRM or ERP) over REST: typed collections with versions, a change feed ordered by
/// (updatedAt, change sequence) with tombstones, conditional and idempotent writes, a batch endpoint, optional API-key
/// auth, signed change webhooks, and fault injection. Everything is in memory behind one lock. The API, the control
/// API and the CLI are described in <c>docs/emulators.md</c>.
/// </summary>
public sealed partial class RecordsEmulator : IAsyncDisposable
{
    private const int MaxLimit = 10_000;
    private readonly RecordStore _store;
    private readonly FaultState _faults = new();
    private readonly WebhookSender _webhooks;
    private readonly Dictionary<string, long> _reads = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private int _disposed;
    private long _apiCalls;

    /// <summary>Creates an emulator; call <see cref="StartAsync"/> to listen.</summary>
    public RecordsEmulator(RecordsEmulatorOptions? options = null)
    {
        Options = options ?? new RecordsEmulatorOptions();
        _store = new RecordStore(Options.Time);
        _webhooks = new WebhookSender(Options.Time, Options.WebhookRetries);
        _store.Changed = change => _webhooks.Enqueue(change, _faults.TakeDrop);
        foreach (var type in Options.Types)
        {
            _store.AddType(type);
        }

        foreach (var webhook in Options.Webhooks)
        {
            Subscribe(webhook.Url, webhook.Secret);
        }
    }

    /// <summary>The options it runs with.</summary>
    public RecordsEmulatorOptions Options { get; }

    /// <summary>The base URL once started, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Starts listening on 127.0.0.1.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Options.Port}");
        _app = builder.Build();
        _app.Use(ApiGateAsync);
        MapApi(_app);
        MapControl(_app);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Faults, then auth, for <c>/api</c> only: the control API always answers.</summary>
    private async Task ApiGateAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _apiCalls);
        if (_faults.LatencyMs > 0)
        {
            await Task.Delay(_faults.LatencyMs, context.RequestAborted).ConfigureAwait(false);
        }

        if (_faults.TakeError())
        {
            await Write(context, ApiAnswer.Error(_faults.Current.ErrorStatus, "injected_failure")).ConfigureAwait(false);
            return;
        }

        if (_faults.TakeThrottle())
        {
            context.Response.Headers.RetryAfter = _faults.Current.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await Write(context, ApiAnswer.Error(429, "rate_limited")).ConfigureAwait(false);
            return;
        }

        if (Options.ApiKey is { } key && context.Request.Headers.Authorization.ToString() != "Bearer " + key)
        {
            await Write(context, ApiAnswer.Error(401, "unauthorized")).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private void MapApi(WebApplication app)
    {
        var api = app.MapGroup("/api/{type}");
        api.MapGet("", (HttpContext c, string type) => Write(c, List(type, c.Request.Query)));
        api.MapGet("/{id}", (HttpContext c, string type, string id) =>
        {
            CountRead(type);
            return Write(c, _store.Get(type, id));
        });
        api.MapPost("", async (HttpContext c, string type) =>
        {
            if (await BodyAsync(c) is not { } fields)
            {
                return;
            }

            await Write(c, _store.Idempotent(type, IdempotencyKey(c), () => _store.Create(type, fields, notify: true, countWrite: true)));
        });
        api.MapMethods("/{id}", ["PATCH", "PUT"], async (HttpContext c, string type, string id) =>
        {
            if (await BodyAsync(c) is not { } fields)
            {
                return;
            }

            var upsert = c.Request.Method == "PUT";
            await Write(c, _store.Idempotent(type, IdempotencyKey(c),
                () => _store.Merge(type, id, fields, IfMatch(c), upsert, notify: true, countWrite: true)));
        });
        api.MapDelete("/{id}", (HttpContext c, string type, string id) =>
            Write(c, _store.Idempotent(type, IdempotencyKey(c), () => _store.Delete(type, id, IfMatch(c), notify: true, countWrite: true))));
        api.MapPost("/_batch", async (HttpContext c, string type) =>
        {
            if (await BodyAsync(c) is not { } body)
            {
                return;
            }

            await Write(c, Batch(type, body));
        });
    }

    private ApiAnswer List(string type, IQueryCollection query)
    {
        CountRead(type);
        DateTimeOffset? since = null;
        if (query["updatedSince"].ToString() is { Length: > 0 } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s))
            {
                return ApiAnswer.Error(400, $"updatedSince '{sinceText}' is not an ISO-8601 time");
            }

            since = s;
        }

        int? Number(string name, int min) =>
            int.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min ? Math.Min(n, name == "page" || name == "offset" ? int.MaxValue : MaxLimit) : null;

        var includeDeleted = string.Equals(query["includeDeleted"], "true", StringComparison.OrdinalIgnoreCase);
        ListQuery q;
        if (query.ContainsKey("page"))
        {
            var size = Number("pageSize", 1) ?? 100;
            q = new ListQuery(since, includeDeleted, null, (int)Math.Min(int.MaxValue, ((Number("page", 1) ?? 1) - 1L) * size), size);
        }
        else if (query.ContainsKey("offset"))
        {
            q = new ListQuery(since, includeDeleted, null, Number("offset", 0) ?? 0, Number("limit", 1) ?? 100);
        }
        else
        {
            ChangeKey? after = null;
            if (query["cursor"].ToString() is { Length: > 0 } cursor)
            {
                if (!ChangeKey.TryParse(cursor, out var key))
                {
                    return ApiAnswer.Error(400, $"cursor '{cursor}' is not a cursor this API gave");
                }

                after = key;
            }

            q = new ListQuery(since, includeDeleted, after, 0, Number("limit", 1) ?? 100);
        }

        var (items, next, total) = _store.List(type, q);
        var isCursor = !query.ContainsKey("page") && !query.ContainsKey("offset");
        return new ApiAnswer(200, new JsonObject
        {
            ["items"] = new JsonArray([.. items]),
            ["nextCursor"] = isCursor ? next : null,
            ["total"] = total,
        });
    }

    /// <summary>Each item: with an id, create-or-merge that record (as PUT); without, create (as POST).</summary>
    private ApiAnswer Batch(string type, JsonObject body)
    {
        if (body["items"] is not JsonArray items)
        {
            return ApiAnswer.Error(400, "body must be {\"items\":[{\"id\"?,\"fields\":{...},\"ifMatch\"?,\"idempotencyKey\"?}]}");
        }

        var results = new JsonArray();
        foreach (var node in items)
        {
            if (node is not JsonObject item || item["fields"] is not JsonObject fields)
            {
                results.Add(Result(ApiAnswer.Error(400, "each item needs \"fields\": {...}")));
                continue;
            }

            var id = item["id"]?.ToString();
            var ifMatch = item["ifMatch"]?.ToString();
            var key = item["idempotencyKey"]?.ToString();
            var answer = _store.Idempotent(type, key, () => id is null
                ? _store.Create(type, fields, notify: true, countWrite: true)
                : _store.Merge(type, id, fields, ifMatch, upsert: true, notify: true, countWrite: true));
            results.Add(Result(answer));
        }

        return new ApiAnswer(200, new JsonObject { ["results"] = results });

        static JsonObject Result(ApiAnswer a) => a.Status is >= 200 and < 300
            ? new JsonObject { ["status"] = a.Status, ["record"] = a.Body?.DeepClone() }
            : new JsonObject { ["status"] = a.Status, ["error"] = a.Body?["error"]?.DeepClone(), ["current"] = a.Body?["current"]?.DeepClone() };
    }

    private void CountRead(string type)
    {
        lock (_reads)
        {
            _reads[type] = _reads.GetValueOrDefault(type) + 1;
        }
    }

    private static string? IdempotencyKey(HttpContext c) => c.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null;

    private static string? IfMatch(HttpContext c) => c.Request.Headers.IfMatch.ToString() is { Length: > 0 } v ? v : null;

    /// <summary>The body as a JSON object; answers 400 itself (and returns null) otherwise.</summary>
    private static async Task<JsonObject?> BodyAsync(HttpContext c)
    {
        try
        {
            if (await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) is JsonObject body)
            {
                return body;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        await Write(c, ApiAnswer.Error(400, "body must be a JSON object"));
        return null;
    }

    private static Task Write(HttpContext c, ApiAnswer answer)
    {
        c.Response.StatusCode = answer.Status;
        if (answer.Version is { } version)
        {
            c.Response.Headers.ETag = $"\"{version}\"";
        }

        if (answer.Body is null)
        {
            return Task.CompletedTask;
        }

        c.Response.ContentType = "application/json";
        return c.Response.WriteAsync(answer.Body.ToJsonString(), c.RequestAborted);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _webhooks.DisposeAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
