using Isthmus.Connectors;
using Isthmus.Configuration;
using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Hooks;
using Isthmus.Hosting;
using Isthmus.Runs;
using Isthmus.Storage;

namespace Isthmus.Api;

/// <summary>The HTTP API under <c>/api/v1</c>: events, runs, deliveries, dead letters, flows, configuration, identities; sync in <see cref="SyncApi"/>.</summary>
internal static class IsthmusApi
{
    public static void MapIsthmusApi(this WebApplication app)
    {
        // One filter for every endpoint (its keys are a singleton): AddEndpointFilter<T> would compile a factory for it from an
        // expression tree at start, JIT work for an object made once.
        var api = app.MapGroup("/api/v1").AddEndpointFilter(new ApiKeyFilter(app.Services.GetRequiredService<ApiKeys>())).WithTags("Isthmus");

        api.MapGet("/events", async Task<IResult> (HostState s, string? connection, string? type, string? key, string? status, long? before, int? limit, CancellationToken ct) =>
        {
            if (!TryParse<EventStatus>(status, out var parsed, out var bad))
            {
                return bad;
            }

            var items = (await s.Store.Admin.ListEventsAsync(new EventQuery(connection, type, key, parsed, before, limit ?? 50), ct)).Select(EventDto.From).ToList();
            return Results.Ok(new Page<EventDto>(items, items.Count > 0 ? items[^1].Seq : null));
        });
        api.MapGet("/events/{seq:long}", async Task<IResult> (HostState s, long seq, CancellationToken ct) =>
            await s.Store.Admin.GetEventAsync(seq, ct) is { } e
                ? Results.Ok(new { @event = EventDto.From(e), runs = (await s.Store.Admin.ListRunsAsync(new RunQuery(EventSeq: seq, Limit: 100), ct)).Select(RunDto.From) })
                : NotFound("event", seq));
        api.MapPost("/events/{seq:long}/replay", async Task<IResult> (HostState s, HttpContext http, long seq, CancellationToken ct) =>
            await s.Engine.ReplayEventAsync(seq, null, ct)
                ? await Audited(s, http, "event.replay", $"event {seq}", Results.Accepted(value: new { seq, status = "replaying" }))
                : Conflict($"Event {seq} does not exist or has not been processed yet."));

        api.MapGet("/runs", async Task<IResult> (HostState s, string? flow, string? status, long? @event, long? before, int? limit, CancellationToken ct) =>
        {
            if (!TryParse<RunStatus>(status, out var parsed, out var bad))
            {
                return bad;
            }

            var items = (await s.Store.Admin.ListRunsAsync(new RunQuery(flow, parsed, @event, before, limit ?? 50), ct)).Select(RunDto.From).ToList();
            return Results.Ok(new Page<RunDto>(items, items.Count > 0 ? items[^1].Id : null));
        });
        api.MapGet("/runs/{id:long}", async Task<IResult> (HostState s, long id, CancellationToken ct) =>
            await s.Store.Admin.GetRunAsync(id, ct) is { } r
                ? Results.Ok(new { run = RunDto.From(r), deliveries = (await s.Store.Admin.ListDeliveriesAsync(new DeliveryQuery(RunId: id, Limit: 100), ct)).Select(DeliveryDto.From) })
                : NotFound("run", id));
        api.MapPost("/runs/{id:long}/replay", async Task<IResult> (HostState s, HttpContext http, long id, CancellationToken ct) =>
        {
            if (await s.Store.Admin.GetRunAsync(id, ct) is not { } run)
            {
                return NotFound("run", id);
            }

            return await s.Engine.ReplayEventAsync(run.EventSeq, run.Flow, ct)
                ? await Audited(s, http, "run.replay", $"run {id}", Results.Accepted(value: new { run = id, @event = run.EventSeq, status = "replaying" }))
                : Conflict($"The event of run {id} is being processed; try again in a moment.");
        });

        api.MapGet("/deliveries", async Task<IResult> (HostState s, string? connection, string? status, long? run, long? before, int? limit, CancellationToken ct) =>
            TryParse<DeliveryStatus>(status, out var parsed, out var bad)
                ? Results.Ok(await ListDeliveries(s, new DeliveryQuery(connection, parsed, run, before, limit ?? 50), ct))
                : bad);
        api.MapGet("/deliveries/{id:long}", GetDelivery);
        api.MapGet("/dead-letters", async (HostState s, string? connection, long? before, int? limit, CancellationToken ct) =>
            await ListDeliveries(s, new DeliveryQuery(connection, DeliveryStatus.Dead, null, before, limit ?? 50), ct));
        api.MapGet("/dead-letters/{id:long}", GetDelivery);
        api.MapPost("/dead-letters/{id:long}/replay", async Task<IResult> (HostState s, HttpContext http, long id, CancellationToken ct) =>
            await s.Engine.ReplayDeliveryAsync(id, ct)
                ? await Audited(s, http, "dead-letter.replay", $"delivery {id}", Results.Accepted(value: new { id, status = "pending" }))
                : Conflict($"Delivery {id} is not a dead letter (or does not exist)."));
        api.MapPost("/dead-letters/{id:long}/discard", async Task<IResult> (HostState s, HttpContext http, long id, CancellationToken ct) =>
            await s.Store.Admin.DiscardDeliveryAsync(id, ct)
                ? await Audited(s, http, "dead-letter.discard", $"delivery {id}", Results.Ok(new { id, status = "discarded" }))
                : Conflict($"Delivery {id} is not a dead letter (or does not exist)."));

        api.MapGet("/flows", (HostState s) => s.Engine.Active.Config.Flows.Select(f => new FlowDto(f.Name, s.Engine.Active.IsEnabled(f),
            f.Trigger.Schedule is not null ? $"schedule {f.Trigger.Schedule}" : $"{f.Trigger.Connection ?? "*"} {f.Trigger.EventType}",
            f.Condition?.Source, f.Steps.Count, f.Location.ToString())));
        api.MapPost("/flows/{name}/enable", (HostState s, HttpContext http, string name, CancellationToken ct) => SwitchFlow(s, http, name, true, ct));
        api.MapPost("/flows/{name}/disable", (HostState s, HttpContext http, string name, CancellationToken ct) => SwitchFlow(s, http, name, false, ct));

        api.MapPost("/config/validate", async (HttpRequest request, HostState s) =>
        {
            using var reader = new StreamReader(request.Body);
            var yaml = await reader.ReadToEndAsync();
            var result = ConfigurationLoader.LoadText(yaml, "posted.yaml", Path.GetDirectoryName(Path.GetFullPath(s.ConfigPath))!);
            var (connectors, errors) = IsthmusHost.BuildConnectors(result,
                new Connectors.ConnectorContext(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
            if (connectors is not null)
            {
                await connectors.DisposeAsync();
            }

            return Results.Ok(new { valid = errors.Count == 0, errors = errors.Select(e => new { location = e.Location.ToString(), message = e.Message }) });
        }).Accepts<string>("application/yaml");
        api.MapGet("/config/status", (HostState s) =>
            new ConfigStatusDto(s.Engine.Active.Config.Files, [.. s.LastReloadErrors.Select(e => e.ToString())]));

        api.MapGet("/status", async (HostState s, CancellationToken ct) =>
        {
            var counts = await s.Store.Admin.CountAsync(ct);
            var (events, deliveries) = s.Engine.InMemory;
            return new StatusDto(counts, new InMemoryDto(events, deliveries));
        });
        api.MapGet("/audit", async (HostState s, int? limit, CancellationToken ct) => await s.Store.Admin.ListAuditAsync(limit ?? 100, ct));

        api.MapGet("/identities", async (HostState s, string? connection, int? limit, CancellationToken ct) =>
            await s.Store.Admin.ListIdentitiesAsync(connection, limit ?? 100, ct));
        api.MapPut("/identities", async Task<IResult> (HostState s, HttpContext http, IdentityInput input, CancellationToken ct) =>
        {
            if (CheckIdentity(s, input.Connection, input.Kind, input.Value) is { } bad)
            {
                return bad;
            }

            if (string.IsNullOrWhiteSpace(input.UserId))
            {
                return Results.Problem(statusCode: 400, title: "invalid identity", detail: "'userId' is required: the platform's user id.");
            }

            var record = new IdentityRecord(input.Connection, input.Kind, input.Value, input.UserId, "manual", TimeProvider.System.GetUtcNow());
            await s.Store.Admin.SaveIdentityAsync(record, ct);
            return await Audited(s, http, "identity.set", $"{input.Connection} {input.Kind} {input.Value}", Results.Ok(record));
        });
        api.MapDelete("/identities", async Task<IResult> (HostState s, HttpContext http, string connection, string kind, string value, CancellationToken ct) =>
            CheckIdentity(s, connection, kind, value) ?? (await s.Store.Admin.DeleteIdentityAsync(connection, kind, value, ct)
                ? await Audited(s, http, "identity.remove", $"{connection} {kind} {value}", Results.NoContent())
                : Results.Problem(statusCode: 404, title: "not found", detail: $"No identity {kind} '{value}' is kept for '{connection}'.")));

        api.MapSyncApi();
    }

    private static readonly string[] IdentityKindNames = [IdentityKinds.Email, IdentityKinds.Mobile, IdentityKinds.EmployeeId, IdentityKinds.External];

    private static IResult? CheckIdentity(HostState s, string connection, string kind, string value)
    {
        if (!s.Engine.Active.Connectors.All.ContainsKey(connection ?? ""))
        {
            return Results.Problem(statusCode: 400, title: "invalid identity",
                detail: $"No connection named '{connection}'. Connections: {string.Join(", ", s.Engine.Active.Connectors.All.Keys.Order())}.");
        }

        if (!IdentityKindNames.Contains(kind))
        {
            return Results.Problem(statusCode: 400, title: "invalid identity", detail: $"'kind' must be one of {string.Join(", ", IdentityKindNames)}, not '{kind}'.");
        }

        return string.IsNullOrWhiteSpace(value) ? Results.Problem(statusCode: 400, title: "invalid identity", detail: "'value' is required.") : null;
    }

    /// <summary>The body of <c>PUT /api/v1/identities</c>.</summary>
    internal sealed record IdentityInput(string Connection, string Kind, string Value, string UserId);

    /// <summary>Parses a status filter case-insensitively; an unknown value is a 400 listing the accepted ones.</summary>
    private static bool TryParse<T>(string? text, out T? value, out IResult bad)
        where T : struct, Enum
    {
        value = null;
        bad = Results.Empty;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (Enum.TryParse<T>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
        {
            value = parsed;
            return true;
        }

        bad = HookEndpoints.Problem(400, "bad_filter", $"Unknown status '{text}'; use one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return false;
    }

    private static async Task<Page<DeliveryDto>> ListDeliveries(HostState s, DeliveryQuery query, CancellationToken ct)
    {
        var items = (await s.Store.Admin.ListDeliveriesAsync(query, ct)).Select(DeliveryDto.From).ToList();
        return new Page<DeliveryDto>(items, items.Count > 0 ? items[^1].Id : null);
    }

    private static async Task<IResult> GetDelivery(HostState s, long id, CancellationToken ct) =>
        await s.Store.Admin.GetDeliveryAsync(id, ct) is { } d
            ? Results.Ok(new { delivery = DeliveryDto.From(d), attempts = await s.Store.Admin.ListAttemptsAsync(id, ct) })
            : NotFound("delivery", id);

    private static async Task<IResult> SwitchFlow(HostState s, HttpContext http, string name, bool enabled, CancellationToken ct)
    {
        var active = s.Engine.Active;
        if (active.Config.Flows.All(f => f.Name != name))
        {
            return HookEndpoints.Problem(404, "not_found", $"No flow named '{name}'. Flows: {string.Join(", ", active.Config.Flows.Select(f => f.Name))}.");
        }

        await s.Store.Admin.SetFlowOverrideAsync(name, enabled, ct);
        var overrides = new Dictionary<string, bool>(active.Overrides, StringComparer.Ordinal) { [name] = enabled };
        s.Engine.Activate(active.WithOverrides(overrides));
        return await Audited(s, http, enabled ? "flow.enable" : "flow.disable", $"flow {name}", Results.Ok(new { name, enabled }));
    }

    /// <summary>Records who did <paramref name="action"/> to <paramref name="target"/> in the audit log, then answers <paramref name="result"/>.</summary>
    internal static async Task<IResult> Audited(HostState s, HttpContext http, string action, string target, IResult result)
    {
        await s.Store.Admin.AuditAsync(new AuditEntry(TimeProvider.System.GetUtcNow(), Actor(http), action, target, null), http.RequestAborted);
        return result;
    }

    /// <summary>The name of the API key that made the request.</summary>
    internal static string Actor(HttpContext http) => http.Items[ApiKeyFilter.ActorItem] as string ?? "unknown";

    internal static IResult NotFound(string what, long id) => HookEndpoints.Problem(404, "not_found", $"No {what} with id {id}.");

    private static IResult Conflict(string detail) => HookEndpoints.Problem(409, "conflict", detail);
}
