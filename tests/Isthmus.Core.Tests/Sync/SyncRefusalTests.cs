using System.Text.Json.Nodes;
using Isthmus.Sync;

namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// Every refusal of a by-hand operation says what kind it is (the API answers 404, 409 or 400 by it): what is named does
/// not exist, its state does not allow it, or the request itself is wrong.
/// </summary>
public sealed class SyncRefusalTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>A customer in the CRM (42) and the ERP, linked in both; returns the entity id.</summary>
    private static async Task<string> CustomerAsync(SyncHarness h)
    {
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["tel"] = "1" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        return Assert.Single(await h.Store.EntityPageAsync("Customer", null, 10, Ct)).Id;
    }

    [Fact]
    public async Task Link_and_unlink_refuse_what_does_not_exist_as_not_found_and_a_connection_not_mapped_as_invalid()
    {
        await using var h = await SyncHarness.StartAsync(SyncEngineTests.Yaml, "crm", "erp");
        var id = await CustomerAsync(h);

        Assert.Equal(SyncRefusal.NotFound("connection 'crm' has no customers record 'nope'"), await h.Engine.LinkAsync("Customer", id, "crm", null, "nope", "tester", Ct));
        Assert.Equal(SyncRefusal.NotFound("there is no Customer nope"), await h.Engine.LinkAsync("Customer", "nope", "crm", null, "42", "tester", Ct));
        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.LinkAsync("Order", id, "crm", null, "42", "tester", Ct))?.Reason);
        Assert.Equal(SyncRefusalReason.Invalid, (await h.Engine.LinkAsync("Customer", id, "hr", null, "42", "tester", Ct))?.Reason);

        Assert.Null(await h.Engine.UnlinkAsync("Customer", id, "erp", null, Ct));
        Assert.Equal(SyncRefusal.NotFound($"Customer {id} has no link to erp"), await h.Engine.UnlinkAsync("Customer", id, "erp", null, Ct));
        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.UnlinkAsync("Order", id, "erp", null, Ct))?.Reason);
        Assert.Equal(SyncRefusalReason.Invalid, (await h.Engine.UnlinkAsync("Customer", id, "erp", "orders", Ct))?.Reason);
    }

    [Fact]
    public async Task Revive_refuses_a_live_entity_as_a_conflict_and_an_unknown_one_or_record_as_not_found()
    {
        await using var h = await SyncHarness.StartAsync(SyncEngineTests.Yaml, "crm", "erp");
        var id = await CustomerAsync(h);

        Assert.Equal(SyncRefusalReason.Conflict, (await h.Engine.ReviveAsync("Customer", id, Ct))?.Reason);
        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.ReviveAsync("Customer", "nope", Ct))?.Reason);
        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.ReviveAsync("Order", id, Ct))?.Reason);

        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.DeletedEntityOfAsync("Customer", "crm", null, "42", Ct)).Refusal?.Reason); // not deleted
        Assert.Equal(SyncRefusalReason.Invalid, (await h.Engine.DeletedEntityOfAsync("Customer", "hr", null, "42", Ct)).Refusal?.Reason);
        Assert.Equal(SyncRefusalReason.NotFound, (await h.Engine.DeletedEntityOfAsync("Order", "crm", null, "42", Ct)).Refusal?.Reason);
    }

    [Fact]
    public async Task Resolve_and_retry_refuse_by_what_happened_including_after_the_model_changed_under_them()
    {
        await using var h = await SyncHarness.StartAsync(SyncEngineTests.Yaml, "crm", "erp");
        await CustomerAsync(h);
        var erpId = Assert.Single(h.Systems["erp"].Ids);
        h.Systems["crm"].Edit("42", new JsonObject { ["tel"] = "crm-2" });
        h.Systems["erp"].Edit(erpId, new JsonObject { ["phone"] = "erp-2" });
        await h.DeliverAsync("Customer", "crm");
        await h.DeliverAsync("Customer", "erp");
        var conflict = Assert.Single(await h.Store.ConflictsAsync(openOnly: true, 10, Ct)).Id;
        h.Systems["erp"].Edit("E9", new JsonObject { ["tax_no"] = "9009", ["cust_name"] = "Z", ["grade"] = "Z" });
        await h.DeliverAsync("Customer", "erp");
        var error = Assert.Single(await h.Store.ErrorsAsync(openOnly: true, 10, Ct)).Id;

        Assert.Equal(SyncRefusal.NotFound("there is no conflict 999"), await h.Engine.ResolveAsync(999, null, "erp", "tester", Ct));
        Assert.Equal(SyncRefusalReason.Invalid, (await h.Engine.ResolveAsync(conflict, null, "oa", "tester", Ct))?.Reason);
        Assert.Equal(SyncRefusalReason.Invalid, (await h.Engine.ResolveAsync(conflict, new JsonArray("1", "2"), null, "tester", Ct))?.Reason);
        Assert.Equal(SyncRefusal.NotFound("there is no sync error 999"), await h.Engine.RetryErrorAsync(999, Ct));
        Assert.Equal(SyncRefusal.Conflict("the record is still refused; see the newest sync error"), await h.Engine.RetryErrorAsync(error, Ct));

        // Reloaded without the entity: the conflict and the sync error are still there, they just cannot be acted on now.
        h.Reload(SyncEngineTests.Yaml.Replace("Customer:", "Client:", StringComparison.Ordinal));
        Assert.Equal(SyncRefusal.Conflict("Customer.phone is no longer in the model"), await h.Engine.ResolveAsync(conflict, null, "erp", "tester", Ct));
        Assert.Equal(SyncRefusal.Conflict("there is no entity 'Customer' (declared: Client)"), await h.Engine.RetryErrorAsync(error, Ct));

        h.Reload(SyncEngineTests.Yaml);
        Assert.Null(await h.Engine.ResolveAsync(conflict, null, "erp", "tester", Ct));
        Assert.Equal(SyncRefusalReason.Conflict, (await h.Engine.ResolveAsync(conflict, null, "crm", "tester", Ct))?.Reason); // already resolved
    }
}
