using System.Text.Json.Nodes;

namespace Isthmus.Core.Tests.Sync;

public sealed class SyncEngineTests
{
    internal const string Yaml = """
        connections:
          crm: { kind: fake }
          erp: { kind: fake }
        codeTables:
          creditLevels:
            normalize: [trim, upper]
            codes: { "A级": A, "B级": B, "C级": C }
        entities:
          Customer:
            label: { en: Customer, zh: 客户 }
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
                creditLimit: erp
                phone: manual
            mappings:
              crm:
                records: customers
                fields:
                  creditCode: uscc
                  name: company_full_name
                  credit: { path: level, codes: creditLevels }
                  phone: tel
              erp:
                records: customers
                fields:
                  creditCode: tax_no
                  name: cust_name
                  credit: grade
                  creditLimit: { path: limit_cents, in: "value == null ? null : value / 100", out: "value == null ? null : value * 100" }
                  phone: phone
        """;

    [Fact]
    public async Task A_customer_created_in_the_crm_reaches_the_erp_mapped_and_the_echo_changes_nothing()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = " 91310000x ", ["company_full_name"] = "ＡＢＣ 公司", ["level"] = "a级 ", ["tel"] = "021-1" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();

        var erp = h.Systems["erp"];
        var id = Assert.Single(erp.Ids);
        var record = erp.Fields(id)!;
        Assert.Equal("91310000X", (string?)record["tax_no"]);
        Assert.Equal("ABC 公司", (string?)record["cust_name"]);
        Assert.Equal("A", (string?)record["grade"]);

        // The ERP's notification of that write is our own change coming back: nothing more is written anywhere.
        var writes = erp.Writes + h.Systems["crm"].Writes;
        await h.DeliverAsync("Customer", "erp");
        await h.DeliverAsync("Customer", "crm");
        Assert.Equal(0, await h.FlushWritesAsync());
        Assert.Equal(writes, erp.Writes + h.Systems["crm"].Writes);
    }

    [Fact]
    public async Task Every_write_has_an_idempotency_key_of_its_own_even_after_the_outbox_emptied()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "ABC 2" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();

        // A system remembers keys: a key used again would make it answer the second write as a repeat of the first.
        var keys = h.Systems["erp"].IdempotencyKeys;
        Assert.Equal(2, keys.Count);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal("ABC 2", (string?)h.Systems["erp"].Fields(Assert.Single(h.Systems["erp"].Ids))!["cust_name"]);
    }

    [Fact]
    public async Task Records_that_already_exist_on_both_sides_are_matched_by_identity_not_duplicated()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["level"] = "B级" });
        h.Systems["erp"].Edit("C-0042", new JsonObject { ["tax_no"] = " 913100 ", ["cust_name"] = "ABC", ["grade"] = "B", ["limit_cents"] = 500000 });
        await h.DeliverAsync("Customer", "crm");
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        Assert.Equal(["C-0042"], h.Systems["erp"].Ids);
        Assert.Equal(["42"], h.Systems["crm"].Ids);
        var links = await h.Store.LinksByRecordAsync("Customer", "erp", "customers", ["C-0042"], CancellationToken.None);
        var crmLinks = await h.Store.LinksByRecordAsync("Customer", "crm", "customers", ["42"], CancellationToken.None);
        Assert.Equal(Assert.Single(crmLinks).EntityId, Assert.Single(links).EntityId);
        var entity = Assert.Single(await h.Store.EntitiesAsync("Customer", [links[0].EntityId], CancellationToken.None));
        Assert.Equal(5000m, entity.Fields["creditLimit"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task The_source_of_truth_wins_over_a_stale_write_from_another_system()
    {
        // The CRM shows the limit too, but the ERP owns it.
        await using var h = await SyncHarness.StartAsync(Yaml.Replace("phone: tel\n", "phone: tel\n          creditLimit: limit\n", StringComparison.Ordinal), "crm", "erp");
        h.Systems["erp"].Edit("E1", new JsonObject { ["tax_no"] = "9001", ["cust_name"] = "X", ["limit_cents"] = 100000 });
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();
        var crmId = Assert.Single(h.Systems["crm"].Ids);
        Assert.Equal(1000m, h.Systems["crm"].Fields(crmId)!["limit"]!.GetValue<decimal>());

        // The CRM user types another limit; the ERP owns it, so the CRM is put back.
        h.Systems["crm"].Edit(crmId, new JsonObject { ["limit"] = 99999 });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        Assert.Equal(1000m, h.Systems["crm"].Fields(crmId)!["limit"]!.GetValue<decimal>());
        Assert.Equal(100000, (int)h.Systems["erp"].Fields("E1")!["limit_cents"]!);
    }

    [Fact]
    public async Task Concurrent_edits_of_one_field_resolve_last_writer_wins_and_converge()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "Old", ["level"] = "B级" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        // Both sides rename before either notification arrives; the ERP's is later (its clock is ahead).
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "From CRM" });
        h.Systems["erp"].Clock = h.Systems["crm"].Clock.AddMinutes(1);
        h.Systems["erp"].Edit(erpId, new JsonObject { ["cust_name"] = "From ERP" });
        await h.DeliverAsync("Customer", "erp");
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "crm");
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        Assert.Equal("From ERP", (string?)h.Systems["crm"].Fields("42")!["company_full_name"]);
        Assert.Equal("From ERP", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
    }

    [Fact]
    public async Task A_manual_field_edited_on_both_sides_becomes_a_conflict_and_its_resolution_goes_everywhere()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["tel"] = "1" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        h.Systems["crm"].Edit("42", new JsonObject { ["tel"] = "crm-2" });
        h.Systems["erp"].Edit(erpId, new JsonObject { ["phone"] = "erp-2" });
        await h.DeliverAsync("Customer", "crm");
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        var conflict = Assert.Single(await h.Store.ConflictsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal("phone", conflict.Field);
        Assert.Equal(["crm-2", "erp-2"], conflict.Candidates.Select(c => (string?)c.Value).Order());
        Assert.Equal("erp-2", (string?)h.Systems["erp"].Fields(erpId)!["phone"]); // held, not overwritten, while a person decides

        Assert.Null(await h.Engine.ResolveAsync(conflict.Id, null, "erp", "alice", CancellationToken.None));
        await h.FlushWritesAsync();
        Assert.Equal("erp-2", (string?)h.Systems["crm"].Fields("42")!["tel"]);
        Assert.Empty(await h.Store.ConflictsAsync(openOnly: true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_record_that_fails_validation_is_not_half_applied_and_is_reported_with_field_value_and_rule()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["erp"].Edit("E1", new JsonObject { ["tax_no"] = "9001", ["cust_name"] = "X", ["grade"] = "Z", ["limit_cents"] = 100 });
        h.Systems["erp"].Edit("E2", new JsonObject { ["tax_no"] = "9002", ["cust_name"] = "Y", ["limit_cents"] = -500 });
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        Assert.Empty(h.Systems["crm"].Ids);
        var errors = await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None);
        Assert.Contains(errors, e => e.RecordId == "E1" && e.Problems.Any(p => p.Field == "credit" && p.Value == "Z" && p.Rule == "type"));
        Assert.Contains(errors, e => e.RecordId == "E2" && e.Problems.Any(p => p.Field == "creditLimit" && p.Rule == "rule limit-not-negative"));

        // Fixed at the source, the retry applies it.
        h.Systems["erp"].Edit("E2", new JsonObject { ["limit_cents"] = 500 });
        h.Systems["erp"].Notifications.Clear();
        Assert.Null(await h.Engine.RetryErrorAsync(errors.First(e => e.RecordId == "E2").Id, CancellationToken.None));
        await h.FlushWritesAsync();
        Assert.Single(h.Systems["crm"].Ids);
    }

    [Fact]
    public async Task Reconciliation_finds_a_change_made_behind_the_back_and_repairs_it_dry_run_changes_nothing()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "Renamed quietly" });
        h.Systems["crm"].Notifications.Clear(); // the webhook was dropped

        var dry = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        var item = Assert.Single(dry.Items);
        Assert.Equal(("differing", "crm", "42"), (item.Kind, item.Connection, item.RecordId));
        Assert.Equal(("name", "Renamed quietly", "ABC"), (item.Fields[0].Field, (string?)item.Fields[0].Record, (string?)item.Fields[0].Model));
        Assert.Equal(0, await h.FlushWritesAsync());
        Assert.Equal("ABC", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);

        var repair = await h.Engine.ReconcileAsync("Customer", dryRun: false, CancellationToken.None);
        Assert.Equal(1, repair.Drift);
        await h.FlushWritesAsync();
        Assert.Equal("Renamed quietly", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
        await h.DeliverAsync("Customer", "erp");
        Assert.Equal(0, (await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None)).Drift);
    }

    [Fact]
    public async Task A_stale_write_is_refused_by_version_read_again_and_retried_without_losing_the_other_change()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["tel"] = "1" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        // The CRM renames; before Isthmus writes that to the ERP, someone changes the ERP's grade (not yet notified).
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "ABC Ltd" });
        await h.DeliverAsync("Customer", "crm");
        h.Systems["erp"].Edit(erpId, new JsonObject { ["grade"] = "C" });
        await h.FlushWritesAsync();

        var erp = h.Systems["erp"].Fields(erpId)!;
        Assert.Equal("ABC Ltd", (string?)erp["cust_name"]);
        Assert.Equal("C", (string?)erp["grade"]);
        Assert.Equal("C级", (string?)h.Systems["crm"].Fields("42")!["level"]);
    }
}
