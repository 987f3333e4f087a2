using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;

namespace Isthmus.IntegrationTests.Sync;

/// <summary>Orders refer to customers, and each system knows the customer by its own id: references are translated through links.</summary>
public sealed class OrdersTests
{
    private const string Model = """
        entities:
          Customer:
            fields:
              creditCode: { type: string, required: true }
              name: string
            match: [creditCode]
            mappings:
              crm:
                records: customers
                changes: { connection: crm-changes, type: "customers.*" }
                fields: { creditCode: uscc, name: company_full_name }
              erp:
                records: customers
                changes: { connection: erp-changes, type: "customers.*" }
                fields: { creditCode: tax_no, name: cust_name }
          Order:
            fields:
              number: { type: string, required: true }
              customer: { type: ref, entity: Customer }
              amount: decimal
            match: [number]
            mappings:
              crm:
                records: orders
                changes: { connection: crm-changes, type: "orders.*" }
                fields: { number: no, customer: customer_id, amount: amount }
              erp:
                records: orders
                changes: { connection: erp-changes, type: "orders.*" }
                fields: { number: order_no, customer: cust_no, amount: total }
        """;

    private static readonly Dictionary<string, string[]> Systems = new() { ["crm"] = ["customers", "orders"], ["erp"] = ["customers:C-", "orders:SO-"] };

    [Fact]
    public async Task An_order_notified_before_its_customer_reaches_the_other_system_with_that_systems_customer_id_both_ways()
    {
        await using var s = await SyncScenario.StartAsync(Systems, Model);

        // The CRM's customer notification never arrives; its order's does: the customer is read in by id first.
        s.Systems["crm"].Change("customers", [new JsonObject { ["id"] = "42", ["uscc"] = "91310000MA1FL0001X", ["company_full_name"] = "上海甲贸易有限公司" }]);
        s.Systems["crm"].Change("orders", [new JsonObject { ["id"] = "7", ["no"] = "PO-7", ["customer_id"] = "42", ["amount"] = 1200 }], notify: true);
        await s.SettleAsync();
        var erpCustomer = s.Find("erp", "tax_no", "91310000MA1FL0001X")!;
        var erpOrder = s.Find("erp", "order_no", "PO-7", "orders")!;
        Assert.Equal("C-0001", (string?)erpCustomer["id"]);
        Assert.Equal("C-0001", (string?)erpOrder["cust_no"]);

        // An order made in the ERP for that customer reaches the CRM with the CRM's id of it.
        s.Systems["erp"].Change("orders", [new JsonObject { ["order_no"] = "PO-8", ["cust_no"] = "C-0001", ["total"] = 80 }], notify: true);
        await s.SettleAsync();
        Assert.Equal("42", (string?)s.Find("crm", "no", "PO-8", "orders")!["customer_id"]);
        Assert.Empty(await SyncCalls.OpenErrorsAsync(s));

        // The ids differ per system, and reconciliation sees no drift in that.
        foreach (var entity in new[] { "Order", "Customer" })
        {
            Assert.Equal(0, (await SyncCalls.ReconcileAsync(s, entity, dryRun: true)).Drift);
        }
    }

    [Fact]
    public async Task An_order_waiting_for_its_customer_in_the_erp_says_so_on_its_link_without_using_up_attempts_and_goes_once_the_erp_answers()
    {
        await using var s = await SyncScenario.StartAsync(Systems, Model, configure: yaml => yaml.Replace("maxAttempts: 3", "maxAttempts: 20", StringComparison.Ordinal));
        s.Systems["erp"].SetFaults(new RecordFaults { ErrorCount = 1_000_000 }); // the ERP is down for now

        s.Systems["crm"].Change("customers", [new JsonObject { ["id"] = "42", ["uscc"] = "91310000MA1FL0001X", ["company_full_name"] = "上海甲贸易有限公司" }]);
        s.Systems["crm"].Change("orders", [new JsonObject { ["id"] = "7", ["no"] = "PO-7", ["customer_id"] = "42", ["amount"] = 1200 }], notify: true);
        string? order = null;
        await Wait.UntilAsync(async () =>
        {
            order ??= (await s.Store.LinksByRecordAsync("Order", "crm", "orders", ["7"], SyncScenario.Ct)).SingleOrDefault()?.EntityId;
            return order is not null;
        }, "the order was never read in");

        // The customer's create fails again and again; the order's write waits for it, saying so, without using up attempts.
        await Wait.UntilAsync(async () => (await s.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, SyncScenario.Ct)).Any(w => w.Entity == "Customer" && w.Attempts >= 3),
            "the customer's create was not retried");
        var erp = (await s.App.GetJsonAsync($"/api/v1/links?entity=Order&entityId={order}")).EnumerateArray().Single(l => l.GetProperty("connection").GetString() == "erp");
        var lastError = erp.GetProperty("lastError").GetString();
        Assert.Contains("Order.customer refers to Customer ", lastError);
        Assert.Contains("which has no customers record in erp yet", lastError);
        Assert.EndsWith("the write waits for it", lastError);
        Assert.Equal(0, erp.GetProperty("writes")[0].GetProperty("attempts").GetInt32());

        s.Systems["erp"].SetFaults(new RecordFaults());
        await s.SettleAsync();
        var erpCustomer = s.Find("erp", "tax_no", "91310000MA1FL0001X");
        Assert.NotNull(erpCustomer);
        Assert.Equal((string?)erpCustomer["id"], (string?)s.Find("erp", "order_no", "PO-7", "orders")!["cust_no"]);
        Assert.Empty(await SyncCalls.OpenErrorsAsync(s));
    }
}
