using System.Text.Json.Nodes;
using Isthmus.Hooks;
using Isthmus.Hosting;
using Isthmus.Model;
using Isthmus.Sync;

namespace Isthmus.Api;

/// <summary>The two-way sync part of <c>/api/v1</c>: the model, entities and their links, conflicts, sync errors, jobs and reconciliation.</summary>
internal static class SyncApi
{
    private const int MaxPage = 500;

    public static void MapSyncApi(this RouteGroupBuilder api)
    {
        api.MapGet("/entities", (HostState s) => s.Engine.Sync.Model.Entities.Select(SyncViews.Definition));
        api.MapGet("/entities/{entity}", async Task<IResult> (HostState s, string entity, string? after, int? limit, CancellationToken ct) =>
        {
            if (Entity(s, entity) is { } bad)
            {
                return bad;
            }

            var page = await s.Engine.Sync.Store.EntityPageAsync(entity, after, Limit(limit), ct);
            var links = (await s.Engine.Sync.Store.LinksOfAsync(entity, page.Select(e => e.Id).ToList(), ct)).ToLookup(l => l.EntityId);
            return Results.Ok(new { items = page.Select(e => SyncViews.Entity(e, links[e.Id])), next = page.Count > 0 ? page[^1].Id : null });
        });
        api.MapGet("/entities/{entity}/{id}", async Task<IResult> (HostState s, string entity, string id, CancellationToken ct) =>
        {
            if (Entity(s, entity) is { } bad)
            {
                return bad;
            }

            var store = s.Engine.Sync.Store;
            if (await store.EntitiesAsync(entity, [id], ct) is not [var found])
            {
                return Problem(404, "not_found", $"There is no {entity} with id '{id}'.");
            }

            var conflicts = await store.OpenConflictsAsync(entity, [id], ct);
            var writes = await store.QueuedWritesAsync(entity, [id], null, ct);
            return Results.Ok(new { entity = SyncViews.Entity(found, await store.LinksOfAsync(entity, [id], ct), writes), conflicts = conflicts.Select(SyncViews.Conflict) });
        });

        api.MapGet("/links", FindLinks);
        api.MapPut("/links", async Task<IResult> (HostState s, HttpContext http, LinkInput input, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(input.Entity) || string.IsNullOrWhiteSpace(input.Connection) || string.IsNullOrWhiteSpace(input.RecordId))
            {
                return Problem(400, "invalid_link", "'entity', 'connection' and 'recordId' are required ('entityId' links to an existing entity; without it the record becomes a new one).");
            }

            var sync = s.Engine.Sync;
            var (_, mapping, refused) = sync.Find(input.Entity, input.Connection, input.RecordType);
            if (refused is not null)
            {
                return Problem(400, "invalid_link", Sentence(refused.Message));
            }

            if (await sync.LinkAsync(input.Entity, input.EntityId, input.Connection, input.RecordType, input.RecordId, IsthmusApi.Actor(http), ct) is { } failure)
            {
                return Refused(failure, notFound: "link_refused", conflict: "link_refused", invalid: "invalid_link");
            }

            var links = await sync.Store.LinksByRecordAsync(input.Entity, input.Connection, mapping!.RecordType, [input.RecordId], ct);
            var link = links.Count > 0 ? links[0] : null;
            return await IsthmusApi.Audited(s, http, "link.set", $"{input.Entity} {link?.EntityId ?? input.EntityId} {input.Connection}/{mapping.RecordType} {input.RecordId}",
                Results.Ok(link is null ? null : SyncViews.Link(link)));
        });
        api.MapDelete("/links/{entity}/{entityId}/{connection}", async Task<IResult> (HostState s, HttpContext http, string entity, string entityId, string connection, string? recordType, CancellationToken ct) =>
        {
            var sync = s.Engine.Sync;
            if (sync.Find(entity, connection, recordType) is { Refusal: { } refused })
            {
                return Problem(400, "invalid_link", Sentence(refused.Message));
            }

            return await sync.UnlinkAsync(entity, entityId, connection, recordType, ct) is { } failure
                ? Refused(failure, notFound: "not_found", conflict: "link_refused", invalid: "invalid_link")
                : await IsthmusApi.Audited(s, http, "link.remove", $"{entity} {entityId} {connection}", Results.NoContent());
        });

        api.MapGet("/conflicts", async (HostState s, bool? open, int? limit, CancellationToken ct) =>
            (await s.Engine.Sync.Store.ConflictsAsync(open ?? true, Limit(limit), ct)).Select(SyncViews.Conflict));
        api.MapGet("/conflicts/{id:long}", async Task<IResult> (HostState s, long id, CancellationToken ct) =>
            await s.Engine.Sync.Store.ConflictAsync(id, ct) is { } c ? Results.Ok(SyncViews.Conflict(c)) : IsthmusApi.NotFound("conflict", id));
        api.MapPost("/conflicts/{id:long}/resolve", async Task<IResult> (HostState s, HttpContext http, long id, JsonObject? body, CancellationToken ct) =>
        {
            // Either the value to keep ({"value": ...}, which may be null) or the system whose value to keep ({"source": "crm"}).
            var source = body?["source"]?.GetValue<string>();
            if (body is null || (source is null) == !body.ContainsKey("value"))
            {
                return Problem(400, "invalid_resolution", "Send either {\"value\": <the value to keep>} or {\"source\": \"<connection whose value to keep>\"}.");
            }

            var value = source is null ? body["value"]?.DeepClone() : null;
            if (await s.Engine.Sync.ResolveAsync(id, value, source, IsthmusApi.Actor(http), ct) is { } failure)
            {
                // 409 too for a choice the conflict cannot take (a source it has no value from, a value the field refuses): it stays open for another.
                return failure.Reason == SyncRefusalReason.NotFound ? IsthmusApi.NotFound("conflict", id) : Problem(409, "conflict", Sentence(failure.Message));
            }

            var resolved = await s.Engine.Sync.Store.ConflictAsync(id, ct);
            return await IsthmusApi.Audited(s, http, "conflict.resolve", $"conflict {id}", Results.Ok(SyncViews.Conflict(resolved!)));
        });

        api.MapGet("/sync/errors", async (HostState s, bool? open, int? limit, CancellationToken ct) =>
            (await s.Engine.Sync.Store.ErrorsAsync(open ?? true, Limit(limit), ct)).Select(SyncViews.Error));
        api.MapGet("/sync/errors/{id:long}", async Task<IResult> (HostState s, long id, CancellationToken ct) =>
            await s.Engine.Sync.Store.ErrorAsync(id, ct) is { } e ? Results.Ok(SyncViews.Error(e)) : IsthmusApi.NotFound("sync error", id));
        api.MapPost("/sync/errors/{id:long}/retry", async Task<IResult> (HostState s, HttpContext http, long id, CancellationToken ct) =>
        {
            if (await s.Engine.Sync.RetryErrorAsync(id, ct) is { } failure)
            {
                return failure.Reason == SyncRefusalReason.NotFound ? IsthmusApi.NotFound("sync error", id) : Problem(409, "still_refused", Sentence(failure.Message));
            }

            return await IsthmusApi.Audited(s, http, "sync-error.retry", $"sync error {id}", Results.Ok(new { id, status = "applied" }));
        });

        api.MapGet("/sync/status", async (HostState s, CancellationToken ct) => new SyncStatusDto(
            await s.Engine.Sync.Store.CountsAsync(ct),
            [.. (await s.Engine.Sync.Store.CursorsAsync(ct)).Select(c => new SyncCursorDto(c.Entity, c.Connection, c.RecordType, c.Cursor, c.UpdatedAt))],
            [.. s.Engine.Sync.Jobs.All.Where(j => j.Status == "running").Select(SyncViews.Job)]));
        api.MapPost("/sync/{entity}/load", async Task<IResult> (HostState s, HttpContext http, string entity, string? connection, bool? full, CancellationToken ct) =>
        {
            if (Entity(s, entity) is { } bad)
            {
                return bad;
            }

            var readers = s.Engine.Sync.Model.Entity(entity)!.Mappings.Where(m => m.Reads).Select(m => m.Connection).Distinct().ToList();
            if (connection is not null && !readers.Contains(connection))
            {
                return Problem(400, "invalid_load", $"{entity} is not read from '{connection}'. It is read from: {(readers.Count == 0 ? "no connection" : string.Join(", ", readers))}.");
            }

            var jobs = s.Engine.Sync.StartLoad(entity, connection, full == true ? "full" : "load");
            return await IsthmusApi.Audited(s, http, "sync.load", $"{entity} {connection ?? "all"}", Results.Accepted(value: jobs.Select(SyncViews.Job)));
        });
        api.MapPost("/sync/{entity}/{id}/revive", (HostState s, HttpContext http, string entity, string id, CancellationToken ct) => Revive(s, http, entity, id, ct));
        api.MapPost("/sync/{entity}/revive", async Task<IResult> (HostState s, HttpContext http, string entity, string? connection, string? recordType, string? recordId,
            CancellationToken ct) =>
        {
            if (Entity(s, entity) is { } bad)
            {
                return bad;
            }

            if (string.IsNullOrWhiteSpace(connection) || string.IsNullOrWhiteSpace(recordId))
            {
                return Problem(400, "invalid_revive", $"Give 'connection' and 'recordId' (the record deleted in that system), or revive by the entity's id: POST /api/v1/sync/{entity}/<id>/revive.");
            }

            var (id, refused) = await s.Engine.Sync.DeletedEntityOfAsync(entity, connection, recordType, recordId, ct);
            return refused is null ? await Revive(s, http, entity, id!, ct) : Refused(refused, notFound: "not_found", conflict: "not_deleted", invalid: "invalid_revive");
        });
        api.MapGet("/sync/jobs", (HostState s) => s.Engine.Sync.Jobs.All.Select(SyncViews.Job));
        api.MapGet("/sync/jobs/{id:long}", (HostState s, long id) =>
            s.Engine.Sync.Jobs.Get(id) is { } job ? Results.Ok(SyncViews.Job(job)) : IsthmusApi.NotFound("sync job", id));

        api.MapPost("/reconcile/{entity}", async Task<IResult> (HostState s, HttpContext http, string entity, bool? dryRun, CancellationToken ct) =>
        {
            if (Entity(s, entity) is { } bad)
            {
                return bad;
            }

            var report = await s.Engine.Sync.ReconcileAsync(entity, dryRun ?? false, ct);
            return report.DryRun ? Results.Ok(report) : await IsthmusApi.Audited(s, http, "reconcile", entity, Results.Ok(report));
        });
        api.MapGet("/reconciliations", async (HostState s, int? limit, CancellationToken ct) =>
            (await s.Engine.Sync.Store.ReconciliationsAsync(Limit(limit), ct)).Select(r => SyncViews.Reconciliation(r, withReport: false)));
        api.MapGet("/reconciliations/{id:long}", async Task<IResult> (HostState s, long id, CancellationToken ct) =>
            await s.Engine.Sync.Store.ReconciliationAsync(id, ct) is { } r
                ? Results.Ok(SyncViews.Reconciliation(r, withReport: true))
                : IsthmusApi.NotFound("reconciliation", id));
    }

    /// <summary>
    /// Links of one entity (<c>entityId</c>), of one record (<c>connection</c> + <c>recordId</c>), or a page of one
    /// connection's links (<c>connection</c>, <c>after</c>, <c>limit</c>).
    /// </summary>
    private static async Task<IResult> FindLinks(HostState s, string? entity, string? entityId, string? connection, string? recordType, string? recordId,
        string? after, int? limit, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(entity))
        {
            return Problem(400, "invalid_query", "'entity' is required.");
        }

        if (Entity(s, entity) is { } bad)
        {
            return bad;
        }

        var store = s.Engine.Sync.Store;
        if (entityId is not null)
        {
            // With the writes queued to each record, so a write that waits (for a referenced record, or to be retried) says why.
            var writes = await store.QueuedWritesAsync(entity, [entityId], null, ct);
            return Results.Ok((await store.LinksOfAsync(entity, [entityId], ct)).Select(l => SyncViews.Link(l, writes)));
        }

        if (connection is null)
        {
            return Problem(400, "invalid_query", "Give 'entityId' (the links of one entity) or 'connection' (with 'recordId' for one record's link).");
        }

        var (_, mapping, refused) = s.Engine.Sync.Find(entity, connection, recordType);
        if (refused is not null)
        {
            return Problem(400, "invalid_query", Sentence(refused.Message));
        }

        var links = recordId is not null
            ? await store.LinksByRecordAsync(entity, connection, mapping!.RecordType, [recordId], ct)
            : await store.LinkPageAsync(entity, connection, mapping!.RecordType, after, Limit(limit), ct);
        return Results.Ok(links.Select(SyncViews.Link));
    }

    /// <summary>Brings a deleted entity back (and every system to it); answers with the entity as it is now.</summary>
    private static async Task<IResult> Revive(HostState s, HttpContext http, string entity, string id, CancellationToken ct)
    {
        if (Entity(s, entity) is { } bad)
        {
            return bad;
        }

        var sync = s.Engine.Sync;
        if (await sync.ReviveAsync(entity, id, ct) is { } failure)
        {
            return Refused(failure, notFound: "not_found", conflict: "not_deleted", invalid: "invalid_revive");
        }

        var revived = (await sync.Store.EntitiesAsync(entity, [id], ct))[0];
        var view = SyncViews.Entity(revived, await sync.Store.LinksOfAsync(entity, [id], ct), await sync.Store.QueuedWritesAsync(entity, [id], null, ct));
        return await IsthmusApi.Audited(s, http, "sync.revive", $"{entity} {id}", Results.Ok(view));
    }

    /// <summary>The body of <c>PUT /api/v1/links</c>.</summary>
    internal sealed record LinkInput(string Entity, string? EntityId, string Connection, string? RecordType, string RecordId);

    private static IResult? Entity(HostState s, string entity)
    {
        var model = s.Engine.Sync.Model;
        if (model.Entity(entity) is not null)
        {
            return null;
        }

        var known = model.Entities.Count == 0 ? "The configuration declares no entities." : "Entities: " + string.Join(", ", model.Entities.Select(e => e.Name)) + ".";
        return Problem(404, "not_found", $"There is no entity '{entity}'. {known}");
    }

    /// <summary>A refused by-hand operation: the status by what the refusal is (404, 409, 400), never by its wording; the codes are the endpoint's.</summary>
    private static IResult Refused(SyncRefusal refusal, string notFound, string conflict, string invalid) => refusal.Reason switch
    {
        SyncRefusalReason.NotFound => Problem(404, notFound, Sentence(refusal.Message)),
        SyncRefusalReason.Conflict => Problem(409, conflict, Sentence(refusal.Message)),
        _ => Problem(400, invalid, Sentence(refusal.Message)),
    };

    private static int Limit(int? limit) => Math.Clamp(limit ?? 100, 1, MaxPage);

    private static string Sentence(string message) => char.ToUpperInvariant(message[0]) + message[1..] + (message.EndsWith('.') ? "" : ".");

    private static IResult Problem(int status, string code, string detail) => HookEndpoints.Problem(status, code, detail);
}
