using System.Text;
using Isthmus.Connectors;
using Isthmus.Deliveries;
using Isthmus.Events;
using Isthmus.Runs;
using Isthmus.Storage;
using Isthmus.Storage.Sqlite;

namespace Isthmus.Tests.Storage;

public sealed class SqliteStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"isthmus-store-{Guid.NewGuid():N}.db");
    private SqliteStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _store = new SqliteStore(_path, "normal");
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    /// <summary>Closes the store, runs <paramref name="sql"/> on its file (to make it look like an older store), and opens it again.</summary>
    private async Task ReopenAfterAsync(string sql)
    {
        await _store.DisposeAsync();
        OnFile(sql);
        _store = new SqliteStore(_path, "normal");
        await _store.InitializeAsync(CancellationToken.None);
    }

    private object? OnFile(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static EventDraft Draft(string id, string? key = "k1") => new(id, "order.created", key, null, null, null, Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\"}}"));

    [Fact]
    public async Task A_store_from_before_events_lost_their_key_index_upgrades_and_still_lists_the_events_of_a_key()
    {
        await _store.AppendEventAsync("hook", Draft("a", "k1"), Now, null, CancellationToken.None);
        await _store.AppendEventAsync("hook", Draft("b", "k2"), Now, null, CancellationToken.None);
        await _store.AppendEventAsync("hook", Draft("c", "k1"), Now, null, CancellationToken.None);
        await ReopenAfterAsync("CREATE INDEX events_key ON events (key, seq); DELETE FROM schema_version WHERE version >= 9");

        Assert.Equal(0L, OnFile("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_key'"));

        var events = await _store.Admin.ListEventsAsync(new EventQuery(Key: "k1"), CancellationToken.None);
        Assert.Equal(["c", "a"], events.Select(e => e.Id));
    }

    [Fact]
    public async Task A_store_from_before_deleted_links_were_kept_upgrades_and_keeps_them_from_then_on()
    {
        // As a store written before the step that added them: the table and its schema version gone.
        await ReopenAfterAsync("DROP TABLE sync_deleted_links; DELETE FROM schema_version WHERE version >= 8");
        var link = new Isthmus.Sync.LinkState("Customer", "e1", "crm", "customers")
        {
            RecordId = "42", RecordVersion = "7", Source = "match", LinkedAt = Now, SyncedAt = Now.AddHours(1),
            Base = { ["name"] = System.Text.Json.Nodes.JsonValue.Create("ABC") },
        };
        var deleted = new SyncCommit();
        deleted.DeletedLinks.Add(link);
        await _store.Sync.CommitAsync(deleted, CancellationToken.None);

        var kept = Assert.Single(await _store.Sync.DeletedLinksByRecordAsync("Customer", "crm", "customers", ["42", "43"], CancellationToken.None));
        Assert.Equal(("e1", "7", "match", Now.AddHours(1), "ABC"), (kept.EntityId, kept.RecordVersion, kept.Source, kept.SyncedAt, (string?)kept.Base["name"]));
        Assert.Empty(await _store.Sync.LinksByRecordAsync("Customer", "crm", "customers", ["42"], CancellationToken.None)); // not a link

        var forget = new SyncCommit();
        forget.ForgottenDeletedLinks.Add(("Customer", "crm", "customers", "42"));
        await _store.Sync.CommitAsync(forget, CancellationToken.None);
        Assert.Empty(await _store.Sync.DeletedLinksByRecordAsync("Customer", "crm", "customers", ["42"], CancellationToken.None));
    }

    [Fact]
    public async Task Closing_a_records_errors_closes_those_of_its_kind_refused_at_that_version_or_earlier()
    {
        static Isthmus.Sync.SyncError Error(string recordId, string kind, long? version, int second = 0) =>
            new(0, "Customer", "crm", "customers", recordId, null, kind, [new Isthmus.Mappings.MappingProblem("credit", "Z", "type", "bad")], null, Now)
            {
                RecordVersion = version,
                RecordUpdatedAt = Now.AddSeconds(second),
            };

        var refused = new SyncCommit();
        refused.NewErrors.AddRange([Error("42", "in", 3), Error("42", "in", 5), Error("43", "in", 3), Error("42", "write", null), Error("44", "in", null, second: 10)]);
        await _store.Sync.CommitAsync(refused, CancellationToken.None);
        async Task<string[]> OpenAsync() =>
            (await _store.Sync.ErrorsAsync(openOnly: true, 100, CancellationToken.None)).Select(e => $"{e.RecordId}/{e.Kind}/{e.RecordVersion}").Order().ToArray();

        // Version 4 answers the refusal of version 3, not that of the later version 5; updated-at decides without versions.
        var close = new SyncCommit();
        close.ClosedRecordErrors.Add(new RecordErrors("Customer", "crm", "customers", "42", "in") { Version = 4 });
        close.ClosedRecordErrors.Add(new RecordErrors("Customer", "crm", "customers", "44", "in") { UpdatedAt = Now.AddSeconds(5) });
        await _store.Sync.CommitAsync(close, CancellationToken.None);
        Assert.Equal(["42/in/5", "42/write/", "43/in/3", "44/in/"], await OpenAsync());

        close = new SyncCommit();
        close.ClosedRecordErrors.Add(new RecordErrors("Customer", "crm", "customers", "42", "in") { Version = 5 });
        close.ClosedRecordErrors.Add(new RecordErrors("Customer", "crm", "customers", "44", "in") { UpdatedAt = Now.AddSeconds(10) });
        await _store.Sync.CommitAsync(close, CancellationToken.None);
        Assert.Equal(["42/write/", "43/in/3"], await OpenAsync());

        // Without a version or a time, every open error of that kind of the record.
        close = new SyncCommit();
        close.ClosedRecordErrors.Add(new RecordErrors("Customer", "crm", "customers", "42", "write"));
        await _store.Sync.CommitAsync(close, CancellationToken.None);
        Assert.Equal(["43/in/3"], await OpenAsync());
    }

    [Fact]
    public async Task A_sync_commit_that_fails_stores_nothing_and_the_next_one_stores_every_row()
    {
        static Dictionary<string, System.Text.Json.Nodes.JsonNode?> Fields(string name, double credit) =>
            new() { ["name"] = System.Text.Json.Nodes.JsonValue.Create(name), ["credit"] = System.Text.Json.Nodes.JsonValue.Create(credit) };
        static Isthmus.Sync.LinkState Link(string id, string name, double credit) => new("Customer", id, "crm", "customers")
        {
            RecordId = "r-" + id,
            Base = Fields(name, credit),
            BaseOrigins = { ["name"] = new Isthmus.Sync.FieldOrigin("erp", Now) { Step = 2 } },
            LinkedAt = Now,
            SyncedAt = Now,
        };
        static Isthmus.Sync.SyncWrite Write(string entity, string id) => new(0, entity, id, "crm", "customers", Isthmus.Sync.WriteOperation.Upsert, null,
            new System.Text.Json.Nodes.JsonObject { ["name"] = "Ann" }, new System.Text.Json.Nodes.JsonObject { ["full_name"] = "Ann" }, 0, Now, null);

        // A value JSON cannot hold, after some rows were already written, then a row SQLite refuses (no entity name):
        // each commit fails whole, and the statements they left half bound or half run serve the next commit as new.
        var unwritable = new SyncCommit();
        unwritable.Entities.Add((new Isthmus.Sync.EntityState("Customer", "a") { Fields = Fields("Ann", 1), UpdatedAt = Now }, ["k-a"]));
        unwritable.Links.AddRange([Link("a", "Ann", 1), Link("b", "Bob", double.NaN)]);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.Sync.CommitAsync(unwritable, CancellationToken.None));
        var refused = new SyncCommit();
        refused.NewWrites.AddRange([Write("Customer", "a"), Write(null!, "b")]);
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => _store.Sync.CommitAsync(refused, CancellationToken.None));
        Assert.Empty(await _store.Sync.EntitiesAsync("Customer", ["a"], CancellationToken.None));
        Assert.Empty(await _store.Sync.LinksOfAsync("Customer", ["a", "b"], CancellationToken.None));
        Assert.Empty(await _store.Sync.QueuedWritesAsync("Customer", ["a", "b"], null, CancellationToken.None));

        var commit = new SyncCommit();
        commit.Entities.Add((new Isthmus.Sync.EntityState("Customer", "a") { Fields = Fields("Ann", 1.5), Version = 3, UpdatedAt = Now }, ["k-a"]));
        commit.Links.AddRange([Link("a", "Ann", 1.5), Link("b", "Bob", 2)]);
        commit.NewWrites.AddRange([Write("Customer", "a"), Write("Customer", "b")]);
        await _store.Sync.CommitAsync(commit, CancellationToken.None);

        var entity = Assert.Single(await _store.Sync.EntitiesAsync("Customer", ["a"], CancellationToken.None));
        Assert.Equal(("Ann", 1.5, 3L), ((string)entity.Fields["name"]!, (double)entity.Fields["credit"]!, entity.Version));
        Assert.Equal("a", (await _store.Sync.MatchAsync("Customer", ["k-a"], CancellationToken.None))["k-a"]);
        var links = (await _store.Sync.LinksOfAsync("Customer", ["a", "b"], CancellationToken.None)).OrderBy(l => l.EntityId).ToList();
        Assert.Equal(["a r-a Ann 1.5 erp/2", "b r-b Bob 2 erp/2"],
            links.Select(l => $"{l.EntityId} {l.RecordId} {l.Base["name"]} {l.Base["credit"]} {l.BaseOrigins["name"].Source}/{l.BaseOrigins["name"].Step}"));
        var writes = await _store.Sync.QueuedWritesAsync("Customer", ["a", "b"], null, CancellationToken.None);
        Assert.Equal(["a {\"name\":\"Ann\"} {\"full_name\":\"Ann\"}", "b {\"name\":\"Ann\"} {\"full_name\":\"Ann\"}"],
            writes.Select(w => $"{w.EntityId} {w.Values.ToJsonString()} {w.Payload.ToJsonString()}"));
    }

    [Fact]
    public async Task Origins_read_back_keep_every_name_and_share_one_string_per_name()
    {
        // Field and source names as stored: plain, escaped by the JSON writer (non-ASCII), longer than the names shared.
        var long_ = new string('f', 80);
        string[] fields = ["name", "名前", long_];
        var origins = fields.ToDictionary(f => f, f => new Isthmus.Sync.FieldOrigin(f == "name" ? "erp" : "crm-東", Now) { Step = f.Length % 3 }, StringComparer.Ordinal);
        var commit = new SyncCommit();
        foreach (var id in new[] { "a", "b" })
        {
            var entity = new Isthmus.Sync.EntityState("Customer", id) { UpdatedAt = Now };
            foreach (var (field, origin) in origins)
            {
                entity.Fields[field] = System.Text.Json.Nodes.JsonValue.Create(field + id);
                entity.Origins[field] = origin;
            }

            commit.Entities.Add((entity, []));
        }

        await _store.Sync.CommitAsync(commit, CancellationToken.None);
        var read = (await _store.Sync.EntitiesAsync("Customer", ["a", "b"], CancellationToken.None)).OrderBy(e => e.Id).ToList();
        foreach (var entity in read)
        {
            Assert.Equal(fields.Order(StringComparer.Ordinal), entity.Origins.Keys.Order(StringComparer.Ordinal));
            Assert.All(fields, f => Assert.Equal((origins[f].Source, origins[f].At, origins[f].Step), (entity.Origins[f].Source, entity.Origins[f].At, entity.Origins[f].Step)));
        }

        Assert.Same(read[0].Origins.Keys.Single(k => k == "name"), read[1].Origins.Keys.Single(k => k == "name"));
        Assert.Same(read[0].Origins["name"].Source, read[1].Origins["name"].Source);
    }

    [Fact]
    public async Task A_links_base_and_pending_origins_read_back_each_into_its_own_place()
    {
        var link = new Isthmus.Sync.LinkState("Customer", "a", "crm", "customers")
        {
            RecordId = "r-a",
            Base = new() { ["name"] = System.Text.Json.Nodes.JsonValue.Create("Ann") },
            Pending = new() { ["city"] = System.Text.Json.Nodes.JsonValue.Create("Oslo") },
            BaseOrigins = { ["name"] = new Isthmus.Sync.FieldOrigin("erp", Now) { Step = 1 } },
            PendingOrigins = { ["city"] = new Isthmus.Sync.FieldOrigin("oa", Now.AddSeconds(5)) { Step = 2 } },
            LinkedAt = Now,
            SyncedAt = Now,
        };
        var commit = new SyncCommit();
        commit.Links.Add(link);
        await _store.Sync.CommitAsync(commit, CancellationToken.None);

        var read = Assert.Single(await _store.Sync.LinksOfAsync("Customer", ["a"], CancellationToken.None));
        Assert.Equal(["name erp 1"], read.BaseOrigins.Select(o => $"{o.Key} {o.Value.Source} {o.Value.Step}"));
        Assert.Equal(["city oa 2"], read.PendingOrigins.Select(o => $"{o.Key} {o.Value.Source} {o.Value.Step}"));
        Assert.Equal(Now.AddSeconds(5), read.PendingOrigins["city"].At);
    }

    [Fact]
    public async Task Append_SameConnectionAndId_IsADuplicate_OtherConnectionIsNot()
    {
        var first = await _store.AppendEventAsync("oa", Draft("e1"), Now, null, CancellationToken.None);
        var again = await _store.AppendEventAsync("oa", Draft("e1"), Now, null, CancellationToken.None);
        var elsewhere = await _store.AppendEventAsync("crm", Draft("e1"), Now, null, CancellationToken.None);
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Seq, again.Seq);
        Assert.False(elsewhere.Duplicate);
    }

    [Fact]
    public async Task ConcurrentAppends_AreAllDurable_WithDistinctIncreasingSeqs()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => _store.AppendEventAsync("oa", Draft($"e{i}"), Now, null, CancellationToken.None).AsTask()));
        Assert.Equal(500, results.Select(r => r.Seq).Distinct().Count());
        var pending = await _store.ReadPendingEventsAsync(0, 1000, CancellationToken.None);
        Assert.Equal(500, pending.Count);
        Assert.Equal(pending.Select(p => p.Seq).Order(), pending.Select(p => p.Seq));
    }

    [Fact]
    public async Task CompleteEvent_WritesRunAndDeliveries_AndIsIdempotent()
    {
        var seq = (await _store.AppendEventAsync("oa", Draft("e1"), Now, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", CancellationToken.None)).Seq;
        var completion = new EventCompletion(seq, Now, "f: run",
            [new NewRun("f", "k1", RunStatus.Running, "[]", null, [new NewDelivery("erp", "request", "{}"u8.ToArray(), "oa:e1:f:send", "k1", null)])],
            [new ChangeStateUpdate("f", "k1", "approved")]);
        var created = await _store.CompleteEventAsync(completion, Now, CancellationToken.None);
        var second = await _store.CompleteEventAsync(completion, Now, CancellationToken.None);
        Assert.Single(created);
        Assert.Empty(second);
        Assert.Empty(await _store.ReadPendingEventsAsync(0, 10, CancellationToken.None));
        Assert.Equal((true, "approved"), await _store.ReadChangeStateAsync("f", "k1", CancellationToken.None));
        var pending = await _store.ReadPendingDeliveriesAsync(0, 10, CancellationToken.None);
        Assert.Equal("oa:e1:f:send", Assert.Single(pending).IdempotencyKey);
    }

    [Fact]
    public async Task Attempts_MoveTheDeliveryAndFinishTheRun()
    {
        var (delivery, runId) = await OneDeliveryAsync();
        await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, runId, 1, Now, TimeSpan.FromMilliseconds(5), 503, AttemptOutcome.Retrying, "503", Now.AddSeconds(1)), CancellationToken.None);
        Assert.Equal(RunStatus.Running, (await _store.Admin.GetRunAsync(runId, CancellationToken.None))!.Status);
        await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, runId, 2, Now, TimeSpan.FromMilliseconds(5), 200, AttemptOutcome.Delivered, null, null), CancellationToken.None);
        var run = await _store.Admin.GetRunAsync(runId, CancellationToken.None);
        Assert.Equal(RunStatus.Completed, run!.Status);
        Assert.Equal(0, run.PendingDeliveries);
        var view = await _store.Admin.GetDeliveryAsync(delivery.Id, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Delivered, view!.Status);
        Assert.Equal(2, (await _store.Admin.ListAttemptsAsync(delivery.Id, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task DeadLetter_FailsTheRun_ReplayReopensIt_DiscardDropsIt()
    {
        var (delivery, runId) = await OneDeliveryAsync();
        await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, runId, 1, Now, TimeSpan.Zero, 422, AttemptOutcome.Dead, "422 bad", null), CancellationToken.None);
        Assert.Equal(RunStatus.Failed, (await _store.Admin.GetRunAsync(runId, CancellationToken.None))!.Status);
        Assert.Single(await _store.Admin.ListDeliveriesAsync(new DeliveryQuery(Status: DeliveryStatus.Dead), CancellationToken.None));

        var replayed = await _store.Admin.ReplayDeliveryAsync(delivery.Id, Now, CancellationToken.None);
        Assert.NotNull(replayed);
        Assert.Equal(1, replayed.AttemptBase);
        Assert.Equal(RunStatus.Running, (await _store.Admin.GetRunAsync(runId, CancellationToken.None))!.Status);
        Assert.Null(await _store.Admin.ReplayDeliveryAsync(delivery.Id, Now, CancellationToken.None)); // no longer dead

        await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, runId, 2, Now, TimeSpan.Zero, 422, AttemptOutcome.Dead, "422 bad", null), CancellationToken.None);
        Assert.True(await _store.Admin.DiscardDeliveryAsync(delivery.Id, CancellationToken.None));
        Assert.Empty(await _store.Admin.ListDeliveriesAsync(new DeliveryQuery(Status: DeliveryStatus.Dead), CancellationToken.None));
    }

    [Fact]
    public async Task Purge_RemovesOldFinishedWork_KeepsDeadLettersAndRecentEvents()
    {
        var (delivery, runId) = await OneDeliveryAsync();
        await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, runId, 1, Now, TimeSpan.Zero, 200, AttemptOutcome.Delivered, null, null), CancellationToken.None);
        var (pending, pendingRun) = await OneDeliveryAsync();
        await _store.AppendEventAsync("oa", Draft("recent"), Now.AddDays(10), null, CancellationToken.None);
        var purged = await _store.PurgeAsync(Now.AddDays(7), CancellationToken.None);
        Assert.Equal(1, purged);
        var events = await _store.Admin.ListEventsAsync(new EventQuery(), CancellationToken.None);
        Assert.Equal(2, events.Count); // the pending delivery's event, and the recent one
        Assert.Contains(events, e => e.Id == "recent");
        Assert.Null(await _store.Admin.GetRunAsync(runId, CancellationToken.None));
        Assert.NotNull(await _store.Admin.GetRunAsync(pendingRun, CancellationToken.None));
        Assert.NotNull(await _store.Admin.GetDeliveryAsync(pending.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Purge_OfAllOldWork_KeepsNumbersGrowing_SoReadersAtTheirCursorSeeNewWork()
    {
        var (first, firstRun) = await OneDeliveryAsync();
        var (last, lastRun) = await OneDeliveryAsync();
        foreach (var (delivery, run) in new[] { (first, firstRun), (last, lastRun) })
        {
            await _store.RecordAttemptAsync(new AttemptRecord(delivery.Id, run, 1, Now, TimeSpan.Zero, 200, AttemptOutcome.Delivered, null, null), CancellationToken.None);
        }

        var seqCursor = (await _store.Admin.ListEventsAsync(new EventQuery(), CancellationToken.None)).Max(e => e.Seq);
        Assert.Equal(1, await _store.PurgeAsync(Now.AddDays(30), CancellationToken.None));
        Assert.Null(await _store.Admin.GetRunAsync(firstRun, CancellationToken.None));

        // What comes after a purge of everything old is numbered after it, so a reader at its cursor still sees it.
        var (next, nextRun) = await OneDeliveryAsync();
        Assert.True(next.Id > last.Id && nextRun > lastRun);
        Assert.Single(await _store.ReadPendingDeliveriesAsync(last.Id, 10, CancellationToken.None));
        var appended = await _store.AppendEventAsync("oa", Draft("after"), Now, null, CancellationToken.None);
        Assert.Equal("after", Assert.Single(await _store.ReadPendingEventsAsync(seqCursor, 10, CancellationToken.None)).Id);
        Assert.True(appended.Seq > seqCursor);
    }

    [Fact]
    public async Task A_closed_store_lets_go_of_its_files()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads the open files in /proc/self/fd");
        var prefix = $"isthmus-closed-{Guid.NewGuid():N}";
        for (var i = 0; i < 5; i++)
        {
            var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{i}.db");
            var store = new SqliteStore(path, "normal");
            await store.InitializeAsync(CancellationToken.None);
            await store.AppendEventAsync("oa", Draft("e"), Now, null, CancellationToken.None);
            Assert.NotEmpty(await store.Admin.ListEventsAsync(new EventQuery(), CancellationToken.None));
            await store.DisposeAsync();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(path + suffix);
            }
        }

        Assert.DoesNotContain(Directory.GetFiles("/proc/self/fd"), fd => Target(fd)?.Contains(prefix, StringComparison.Ordinal) == true);

        static string? Target(string fd)
        {
            try
            {
                return new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                return null; // closed meanwhile by another test
            }
        }
    }

    [Fact]
    public async Task ReopeningTheFile_KeepsEverything()
    {
        await _store.AppendEventAsync("oa", Draft("kept"), Now, null, CancellationToken.None);
        await _store.DisposeAsync();
        _store = new SqliteStore(_path, "full");
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal("kept", Assert.Single(await _store.ReadPendingEventsAsync(0, 10, CancellationToken.None)).Id);
    }

    private async Task<(PendingDelivery Delivery, long RunId)> OneDeliveryAsync()
    {
        var seq = (await _store.AppendEventAsync("oa", Draft("e-" + Guid.NewGuid().ToString("N")), Now, null, CancellationToken.None)).Seq;
        var created = await _store.CompleteEventAsync(new EventCompletion(seq, Now, "f: run",
            [new NewRun("f", "k1", RunStatus.Running, "[]", null, [new NewDelivery("erp", "request", "{}"u8.ToArray(), $"key-{seq}", "k1", null)])], []),
            Now, CancellationToken.None);
        return (created[0], created[0].RunId);
    }
}
