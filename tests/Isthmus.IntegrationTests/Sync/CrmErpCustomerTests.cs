using System.Text.Json.Nodes;

namespace Isthmus.IntegrationTests.Sync;

/// <summary>A CRM and an ERP keep one Customer in step both ways, through change webhooks, a code table and per-field policies.</summary>
public sealed class CrmErpCustomerTests
{
    internal const string Model = """
        codeTables:
          creditLevels:
            normalize: [trim, upper]
            codes: { "A级": A, "B级": B, "C级": C }
        entities:
          Customer:
            fields:
              creditCode: { type: string, required: true, normalize: [trim, upper] }
              name: { type: string, required: true, normalize: [trim, halfwidth] }
              credit: { type: enum, values: [A, B, C] }
              creditLimit: decimal
              phone: string
            rules:
              - name: limit-not-negative
                check: entity.creditLimit == null || entity.creditLimit >= 0
                message: the credit limit cannot be negative
                field: creditLimit
            match: [creditCode]
            sync:
              wins: lww
              fields:
                credit: erp
                phone: manual
            mappings:
              crm:
                records: customers
                changes: { connection: crm-changes }
                fields:
                  creditCode: uscc
                  name: company_full_name
                  credit: { path: level, codes: creditLevels }
                  phone: tel
              erp:
                records: customers
                changes: { connection: erp-changes }
                fields:
                  creditCode: tax_no
                  name: cust_name
                  credit: grade
                  creditLimit: { path: limit_cents, in: "value == null ? null : value / 100", out: "value == null ? null : value * 100" }
                  phone: phone
        """;

    private static readonly Dictionary<string, string[]> Systems = new() { ["crm"] = ["customers"], ["erp"] = ["customers:C-"] };

    [Fact]
    public async Task Customers_on_both_sides_are_matched_then_kept_in_step_both_ways_with_conflicts_decided_by_policy()
    {
        await using var s = await SyncScenario.StartAsync(Systems, Model, seed: e =>
        {
            // Before Isthmus: one customer known to both (with differently written codes), one known to each alone.
            e["crm"].Change("customers", [
                new JsonObject { ["id"] = "1", ["uscc"] = "91310000MA1FL0001X", ["company_full_name"] = "上海甲贸易有限公司", ["level"] = "A级", ["tel"] = "021-5550001" },
                new JsonObject { ["id"] = "2", ["uscc"] = "91310000MA1FL0002Y", ["company_full_name"] = "Only in the CRM", ["level"] = "b级 " },
            ]);
            e["erp"].Change("customers", [
                new JsonObject { ["tax_no"] = " 91310000ma1fl0001x ", ["cust_name"] = "上海甲贸易有限公司", ["grade"] = "A", ["limit_cents"] = 5_000_000 },
                new JsonObject { ["tax_no"] = "91440300MA5F00003Z", ["cust_name"] = "Only in the ERP", ["grade"] = "C" },
            ]);
        });

        // The initial load reads both systems before writing anything: the shared customer is matched, the others created across.
        await SyncCalls.LoadAsync(s, "Customer");
        await s.SettleAsync();
        Assert.Equal(3, await s.CountAsync("entities.Customer"));
        Assert.Equal(3, s.Records("crm").Count);
        Assert.Equal(3, s.Records("erp").Count);
        var shared = s.Find("erp", "cust_name", "上海甲贸易有限公司")!;
        Assert.Equal("C-0001", (string?)shared["id"]);
        Assert.Equal("021-5550001", (string?)shared["phone"]); // the ERP had no phone: the CRM's fills it
        Assert.Equal("C级", (string?)s.Find("crm", "company_full_name", "Only in the ERP")!["level"]); // code table, out
        var fromCrm = s.Find("erp", "cust_name", "Only in the CRM")!;
        Assert.Equal(("91310000MA1FL0002Y", "B"), ((string?)fromCrm["tax_no"], (string?)fromCrm["grade"])); // normalized, code table in
        Assert.Empty(await SyncCalls.OpenConflictsAsync(s));
        var writes = s.Writes();
        Assert.Equal(new Dictionary<string, long> { ["crm"] = 1, ["erp"] = 2 }, writes); // a create each way, the phone to the ERP; no echo

        // A customer created in the CRM reaches the ERP by webhook; the ERP's notification of that write changes nothing more.
        s.Systems["crm"].Change("customers", [new JsonObject { ["id"] = "100", ["uscc"] = "91310000MA1FL0004A", ["company_full_name"] = "ＮＥＷ 客户", ["level"] = "A级" }], notify: true);
        await s.SettleAsync();
        var created = s.Find("erp", "tax_no", "91310000MA1FL0004A")!;
        Assert.Equal(("NEW 客户", "A"), ((string?)created["cust_name"], (string?)created["grade"]));
        Assert.Equal(new Dictionary<string, long> { ["crm"] = 1, ["erp"] = 3 }, s.Writes());

        // And one created in the ERP reaches the CRM.
        s.Systems["erp"].Change("customers", [new JsonObject { ["tax_no"] = "91110000MA0050005B", ["cust_name"] = "北京乙公司", ["grade"] = "B", ["limit_cents"] = 100_000 }], notify: true);
        await s.SettleAsync();
        Assert.Equal("B级", (string?)s.Find("crm", "uscc", "91110000MA0050005B")!["level"]);
        Assert.Equal(new Dictionary<string, long> { ["crm"] = 2, ["erp"] = 3 }, s.Writes());
        Assert.Equal(5, await s.CountAsync("entities.Customer"));

        // Both sides edit the shared customer: the ERP first (its notification lost), a second later the CRM.
        var at = DateTimeOffset.UtcNow;
        s.Systems["erp"].FreezeClock(at);
        s.Systems["crm"].FreezeClock(at.AddSeconds(1));
        s.Systems["erp"].Change("customers", [new JsonObject { ["id"] = "C-0001", ["cust_name"] = "ERP name", ["grade"] = "B", ["phone"] = "021-0000002" }]);
        s.Systems["crm"].Change("customers", [new JsonObject { ["id"] = "1", ["company_full_name"] = "CRM name", ["level"] = "C级", ["tel"] = "021-0000001" }], notify: true);
        s.Systems["erp"].FreezeClock(null);
        s.Systems["crm"].FreezeClock(null);
        await s.SettleAsync();

        // The CRM's change is written to the ERP with the version Isthmus last saw, refused as stale, and the ERP's own change merged:
        // the credit level belongs to the ERP, the name goes to the last writer (the CRM), the phone waits for a person.
        var conflict = Assert.Single(await SyncCalls.OpenConflictsAsync(s));
        Assert.Equal("phone", conflict.Field);
        Assert.Equal(["crm:021-0000001", "erp:021-0000002"], conflict.Candidates.Select(c => $"{c.Source}:{(string?)c.Value}").Order());
        var erp = s.Systems["erp"].Record("customers", "C-0001")!;
        var crm = s.Systems["crm"].Record("customers", "1")!;
        Assert.Equal(("CRM name", "B", "021-0000002"), ((string?)erp["cust_name"], (string?)erp["grade"], (string?)erp["phone"]));
        Assert.Equal(("CRM name", "B级", "021-0000001"), ((string?)crm["company_full_name"], (string?)crm["level"], (string?)crm["tel"]));

        // The person picks the ERP's phone; it is applied to both, and then all is quiet.
        await SyncCalls.ResolveAsync(s, conflict.Id, "erp");
        await s.SettleAsync();
        Assert.Equal("021-0000002", (string?)s.Systems["crm"].Record("customers", "1")!["tel"]);
        Assert.Equal("021-0000002", (string?)s.Systems["erp"].Record("customers", "C-0001")!["phone"]);
        Assert.Empty(await SyncCalls.OpenConflictsAsync(s));
        Assert.Equal(0, await s.CountAsync("errors.open"));
        writes = s.Writes();
        await s.SettleAsync();
        Assert.Equal(writes, s.Writes());
    }

    [Fact]
    public async Task A_record_breaking_a_rule_is_refused_whole_shown_with_its_field_value_and_rule_and_goes_through_once_fixed()
    {
        await using var s = await SyncScenario.StartAsync(Systems, Model, seed: e =>
        {
            e["crm"].Change("customers", [new JsonObject { ["id"] = "1", ["uscc"] = "91310000MA1FL0001X", ["company_full_name"] = "甲公司", ["level"] = "A级" }]);
            e["erp"].Change("customers", [new JsonObject { ["tax_no"] = "91310000MA1FL0001X", ["cust_name"] = "甲公司", ["grade"] = "A", ["limit_cents"] = 100_000 }]);
        });
        await SyncCalls.LoadAsync(s, "Customer");
        await s.SettleAsync();
        var writes = s.Writes();

        // The ERP renames the customer and sets a negative credit limit in one change.
        s.Systems["erp"].Change("customers", [new JsonObject { ["id"] = "C-0001", ["cust_name"] = "甲贸易公司", ["limit_cents"] = -500 }], notify: true);
        await s.SettleAsync();

        var error = Assert.Single(await SyncCalls.OpenErrorsAsync(s));
        Assert.Equal(("Customer", "erp", "C-0001"), (error.Entity, error.Connection, error.RecordId));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(("creditLimit", "-5", "rule limit-not-negative"), (problem.Field, problem.Value, problem.Rule));
        Assert.Contains("cannot be negative", problem.Message, StringComparison.Ordinal);

        // Nothing of it was applied: not the name either, in the model or in the CRM.
        var entity = Assert.Single(await s.Store.EntityPageAsync("Customer", null, 10, SyncScenario.Ct));
        Assert.Equal("甲公司", (string?)entity.Fields["name"]);
        Assert.Equal(1000m, entity.Fields["creditLimit"]!.GetValue<decimal>());
        Assert.Equal("甲公司", (string?)s.Systems["crm"].Record("customers", "1")!["company_full_name"]);
        Assert.Equal(writes, s.Writes());

        // Still refused while the record is unchanged; once fixed in the ERP, a retry applies the whole change.
        Assert.NotNull(await SyncCalls.RetryErrorAsync(s, error.Id));
        s.Systems["erp"].Change("customers", [new JsonObject { ["id"] = "C-0001", ["limit_cents"] = 500 }]);
        Assert.Null(await SyncCalls.RetryErrorAsync(s, error.Id));
        await s.SettleAsync();
        Assert.Empty(await SyncCalls.OpenErrorsAsync(s)); // the one the refused retry opened is closed with it
        Assert.Equal("甲贸易公司", (string?)s.Systems["crm"].Record("customers", "1")!["company_full_name"]);
        entity = Assert.Single(await s.Store.EntityPageAsync("Customer", null, 10, SyncScenario.Ct));
        Assert.Equal(5m, entity.Fields["creditLimit"]!.GetValue<decimal>());
    }
}
