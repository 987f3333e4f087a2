using System.Text.Json.Nodes;
using Isthmus.Records;
using Isthmus.Sync;

namespace Isthmus.Core.Tests.Sync;

/// <summary>A deleted entity comes back: its record reappears, a new record matches it, or a person revives it.</summary>
public sealed class SyncReviveTests
{
    private static string Yaml(string deletes) =>
        SyncEngineTests.Yaml.Replace("wins: lww", $"wins: lww\n      deletes: {deletes}", StringComparison.Ordinal);

    /// <summary>A customer in the CRM (42) and the ERP, in sync; returns the entity id and the ERP record's id.</summary>
    private static async Task<(string EntityId, string ErpId)> CustomerAsync(SyncHarness h)
    {
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var entity = Assert.Single(await EntitiesAsync(h));
        return (entity.Id, Assert.Single(h.Systems["erp"].Ids));
    }

    private static Task<IReadOnlyList<EntityState>> EntitiesAsync(SyncHarness h) => h.Store.EntityPageAsync("Customer", null, 10, CancellationToken.None);

    private static async Task<List<(string Connection, string? RecordId)>> LinksAsync(SyncHarness h, string id) =>
        [.. (await h.Store.LinksOfAsync("Customer", [id], CancellationToken.None)).Select(l => (l.Connection, l.RecordId)).Order()];

    /// <summary>Takes in the notifications waiting at <paramref name="connection"/>, as one page; returns what they did.</summary>
    private static async Task<IngestSummary> TakeInAsync(SyncHarness h, string connection)
    {
        var waiting = h.Systems[connection].Notifications.ToList();
        h.Systems[connection].Notifications.Clear();
        return await h.Engine.IngestAsync(h.Mapping("Customer", connection), waiting, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_copy_of_a_deleted_record_read_before_its_delete_is_not_drift_and_does_not_revive_it()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (id, _) = await CustomerAsync(h);

        // The delete is taken in while the CRM's feed still holds the record as it was (read before the delete, or a feed
        // that lags): what reconciliation reads then is a late copy of a deleted record, not a record Isthmus never saw.
        var crm = h.Systems["crm"];
        var before = Assert.Single((await crm.ReadChangesAsync("customers", null, 10, CancellationToken.None)).Records);
        var tombstone = before with { Version = (long.Parse(before.Version!, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Deleted = true };
        await h.Engine.IngestAsync(h.Mapping("Customer", "crm"), [tombstone], null, CancellationToken.None);
        Assert.True(Assert.Single(await EntitiesAsync(h)).Deleted);

        var dry = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        Assert.DoesNotContain(dry.Items, i => i.Connection == "crm");
        Assert.Equal(1, dry.Connections.Single(m => m.Connection == "crm").InFlight);

        await h.Engine.ReconcileAsync("Customer", dryRun: false, CancellationToken.None);
        var entity = Assert.Single(await EntitiesAsync(h));
        Assert.Equal(id, entity.Id);
        Assert.True(entity.Deleted);
    }

    [Fact]
    public async Task A_record_restored_after_a_soft_delete_revives_its_entity_and_gets_what_was_merged_meanwhile()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (id, erpId) = await CustomerAsync(h);
        var crm = h.Systems["crm"];

        crm.Delete("42");
        await h.DeliverAsync("Customer", "crm");
        Assert.True(Assert.Single(await EntitiesAsync(h)).Deleted);
        Assert.Equal([("erp", erpId)], await LinksAsync(h, id)); // the deleted record's link is not listed as a link

        // While deleted, the ERP renames it: merged, not passed on.
        h.Systems["erp"].Edit(erpId, new JsonObject { ["cust_name"] = "ABC Ltd" });
        await h.DeliverAsync("Customer", "erp");
        Assert.Equal(0, await h.FlushWritesAsync());

        crm.Restore("42");
        var summary = await TakeInAsync(h, "crm");
        Assert.Equal(1, summary.Revived);
        await h.FlushWritesAsync();

        var entity = Assert.Single(await EntitiesAsync(h));
        Assert.Equal(id, entity.Id);
        Assert.False(entity.Deleted);
        Assert.Equal([("crm", "42"), ("erp", erpId)], await LinksAsync(h, id));
        Assert.Equal("ABC Ltd", (string?)crm.Fields("42")!["company_full_name"]);
        Assert.Equal([erpId], h.Systems["erp"].Ids); // no duplicate in the ERP

        // From now on it syncs as before.
        crm.Edit("42", new JsonObject { ["tel"] = "021-9" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        Assert.Equal("021-9", (string?)h.Systems["erp"].Fields(erpId)!["phone"]);
    }

    [Fact]
    public async Task A_new_record_matching_a_deleted_entity_revives_it_instead_of_duplicating_it_elsewhere()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (id, erpId) = await CustomerAsync(h);
        var crm = h.Systems["crm"];
        crm.Delete("42");
        await h.DeliverAsync("Customer", "crm");

        // Created again in the CRM under another id, with the same credit code and a new name.
        crm.Edit("43", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC New" });
        Assert.Equal(1, (await TakeInAsync(h, "crm")).Revived);
        await h.FlushWritesAsync();

        var entity = Assert.Single(await EntitiesAsync(h));
        Assert.Equal(id, entity.Id);
        Assert.False(entity.Deleted);
        Assert.Equal([("crm", "43"), ("erp", erpId)], await LinksAsync(h, id));
        Assert.Equal([erpId], h.Systems["erp"].Ids);
        Assert.Equal("ABC New", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
    }

    [Fact]
    public async Task Under_propagate_a_restored_record_revives_the_entity_and_the_deleted_records_are_created_again()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("propagate"), "crm", "erp");
        var (id, _) = await CustomerAsync(h);
        var crm = h.Systems["crm"];
        crm.Delete("42");
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        Assert.Empty(h.Systems["erp"].Ids);
        Assert.Empty(await LinksAsync(h, id));

        crm.Restore("42");
        Assert.Equal(1, (await TakeInAsync(h, "crm")).Revived);
        await h.FlushWritesAsync();

        var entity = Assert.Single(await EntitiesAsync(h));
        Assert.Equal(id, entity.Id);
        Assert.False(entity.Deleted);
        var erpId = Assert.Single(h.Systems["erp"].Ids);
        Assert.Equal("ABC", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
        Assert.Equal([("crm", "42"), ("erp", erpId)], await LinksAsync(h, id));
    }

    [Fact]
    public async Task A_late_copy_of_the_record_from_before_its_delete_does_not_revive_it()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("propagate"), "crm", "erp");
        await CustomerAsync(h);
        var crm = h.Systems["crm"];
        var before = crm.Sent[^1]; // the CRM record as last read, before the delete
        crm.Delete("42");
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();

        var late = await h.Engine.IngestAsync(h.Mapping("Customer", "crm"), [before], null, CancellationToken.None);
        Assert.Equal((1, 0, 0), (late.Stale, late.Revived, late.Created));
        Assert.True(Assert.Single(await EntitiesAsync(h)).Deleted);
        Assert.Equal(0, await h.FlushWritesAsync());
        Assert.Empty(h.Systems["erp"].Ids);
    }

    [Fact]
    public async Task A_refused_record_leaves_the_entity_deleted_and_its_fixed_version_revives_it()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (id, erpId) = await CustomerAsync(h);
        var crm = h.Systems["crm"];
        crm.Delete("42");
        await h.DeliverAsync("Customer", "crm");

        crm.Edit("42", new JsonObject { ["uscc"] = "913100" }); // created again without the required name
        Assert.Equal(1, (await TakeInAsync(h, "crm")).Rejected);
        Assert.True(Assert.Single(await EntitiesAsync(h)).Deleted);
        Assert.Equal([("erp", erpId)], await LinksAsync(h, id));

        crm.Edit("42", new JsonObject { ["company_full_name"] = "ABC Again" });
        Assert.Equal(1, (await TakeInAsync(h, "crm")).Revived);
        await h.FlushWritesAsync();
        Assert.False(Assert.Single(await EntitiesAsync(h)).Deleted);
        Assert.Equal("ABC Again", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
    }

    [Fact]
    public async Task Revived_by_hand_the_entity_is_created_again_where_it_was_deleted_with_what_was_merged_meanwhile()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (id, erpId) = await CustomerAsync(h);
        h.Systems["crm"].Delete("42");
        await h.DeliverAsync("Customer", "crm");
        h.Systems["erp"].Edit(erpId, new JsonObject { ["cust_name"] = "ABC Ltd" });
        await h.DeliverAsync("Customer", "erp");

        Assert.Equal((id, null), await h.Engine.DeletedEntityOfAsync("Customer", "crm", null, "42", CancellationToken.None));
        Assert.Null(await h.Engine.ReviveAsync("Customer", id, CancellationToken.None));
        await h.FlushWritesAsync();

        Assert.False(Assert.Single(await EntitiesAsync(h)).Deleted);
        var crmId = Assert.Single(h.Systems["crm"].Ids);
        Assert.Equal("ABC Ltd", (string?)h.Systems["crm"].Fields(crmId)!["company_full_name"]);
        Assert.Equal([("crm", crmId), ("erp", erpId)], await LinksAsync(h, id));

        Assert.Equal(SyncRefusal.Conflict($"Customer {id} is not deleted; there is nothing to revive"), await h.Engine.ReviveAsync("Customer", id, CancellationToken.None));
        Assert.Equal(SyncRefusal.NotFound("there is no Customer nope"), await h.Engine.ReviveAsync("Customer", "nope", CancellationToken.None));
        var unknown = (await h.Engine.DeletedEntityOfAsync("Customer", "crm", null, "7", CancellationToken.None)).Refusal!;
        Assert.Equal(SyncRefusalReason.NotFound, unknown.Reason);
        Assert.StartsWith("there is no Customer whose crm customers record '7' was deleted", unknown.Message);
    }

    [Fact]
    public async Task Revived_by_hand_under_propagate_the_queued_deletes_are_dropped_and_the_records_stay()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("propagate"), "crm", "erp");
        var (id, erpId) = await CustomerAsync(h);
        h.Systems["crm"].Delete("42");
        await h.DeliverAsync("Customer", "crm"); // the ERP's delete is queued, not sent yet

        Assert.Null(await h.Engine.ReviveAsync("Customer", id, CancellationToken.None));
        await h.FlushWritesAsync();

        Assert.Equal([erpId], h.Systems["erp"].Ids);
        var crmId = Assert.Single(h.Systems["crm"].Ids);
        Assert.Equal([("crm", crmId), ("erp", erpId)], await LinksAsync(h, id));
    }

    [Fact]
    public async Task A_live_entity_takes_the_identity_key_a_deleted_one_holds()
    {
        await using var h = await SyncHarness.StartAsync(Yaml("soft"), "crm", "erp");
        var (deleted, _) = await CustomerAsync(h);
        h.Systems["crm"].Delete("42");
        await h.DeliverAsync("Customer", "crm");
        var key = Assert.Single(await h.Store.MatchAsync("Customer", ["0:913100"], CancellationToken.None));
        Assert.Equal(deleted, key.Value); // kept by the deleted entity

        // A second ERP record with the same credit code: the deleted entity has its ERP record, so this one is another entity.
        h.Systems["erp"].Edit("E9", new JsonObject { ["tax_no"] = "913100", ["cust_name"] = "ABC Two" });
        await h.DeliverAsync("Customer", "erp");
        var live = Assert.Single(await EntitiesAsync(h), e => !e.Deleted);
        Assert.Equal(live.Id, Assert.Single(await h.Store.MatchAsync("Customer", ["0:913100"], CancellationToken.None)).Value);
    }
}
