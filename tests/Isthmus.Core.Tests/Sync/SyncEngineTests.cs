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
    public async Task A_create_after_the_outbox_emptied_is_not_taken_for_an_earlier_one_by_its_idempotency_key()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "First" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        h.Systems["crm"].Edit("43", new JsonObject { ["uscc"] = "913200", ["company_full_name"] = "Second" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();

        Assert.Equal(["First", "Second"], h.Systems["erp"].Ids.Select(id => (string?)h.Systems["erp"].Fields(id)!["cust_name"]).Order());
    }

    [Fact]
    public async Task A_fresh_store_writing_to_a_system_is_not_answered_with_what_an_earlier_store_wrote()
    {
        await using var first = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        first.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "First" });
        await first.DeliverAsync("Customer", "crm");
        await first.FlushWritesAsync();

        // The same ERP, now synced by an Isthmus with a new database: its write ids start again, its keys must not.
        await using var second = await SyncHarness.StartAsync(Yaml, new Dictionary<string, FakeRecordSystem> { ["crm"] = new("crm"), ["erp"] = first.Systems["erp"] });
        second.Systems["crm"].Edit("7", new JsonObject { ["uscc"] = "913200", ["company_full_name"] = "Second" });
        await second.DeliverAsync("Customer", "crm");
        await second.FlushWritesAsync();

        Assert.Equal(["First", "Second"], second.Systems["erp"].Ids.Select(id => (string?)second.Systems["erp"].Fields(id)!["cust_name"]).Order());
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
    public async Task A_record_that_already_exists_is_matched_even_while_its_create_is_still_queued()
    {
        // Both systems hold the customer, with different names; the ERP's record is read after the CRM's has queued its creation there.
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        h.Systems["erp"].Clock = h.Systems["crm"].Clock.AddMinutes(1);
        h.Systems["erp"].Edit("C-0042", new JsonObject { ["tax_no"] = "913100", ["cust_name"] = "ABC Ltd" });
        await h.DeliverAsync("Customer", "crm");
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        Assert.Equal(["C-0042"], h.Systems["erp"].Ids);
        Assert.Equal(["42"], h.Systems["crm"].Ids);
        var erpLink = Assert.Single(await h.Store.LinksByRecordAsync("Customer", "erp", "customers", ["C-0042"], CancellationToken.None));
        var crmLink = Assert.Single(await h.Store.LinksByRecordAsync("Customer", "crm", "customers", ["42"], CancellationToken.None));
        Assert.Equal(crmLink.EntityId, erpLink.EntityId);
        Assert.Equal("ABC Ltd", (string?)h.Systems["crm"].Fields("42")!["company_full_name"]); // the newer name, by last writer wins
        Assert.Equal("ABC Ltd", (string?)h.Systems["erp"].Fields("C-0042")!["cust_name"]);
    }

    [Fact]
    public async Task A_record_matched_by_identity_with_an_empty_field_gets_the_value_the_other_side_has()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["level"] = "B级", ["tel"] = "021-1" });
        h.Systems["erp"].Edit("C-0042", new JsonObject { ["tax_no"] = "913100", ["cust_name"] = "ABC", ["grade"] = "B" });
        h.Systems["erp"].Clock = h.Systems["crm"].Clock.AddHours(1); // the ERP's record is the newer one

        var jobs = h.Engine.StartLoad("Customer", connection: null);
        await Task.WhenAll(jobs.Select(j => j.Completion));
        await h.FlushWritesAsync();

        // phone is decided by hand, but an empty phone on the ERP is not a second opinion: the CRM's fills it.
        Assert.Empty(await h.Store.ConflictsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal(["C-0042"], h.Systems["erp"].Ids);
        Assert.Equal("021-1", (string?)h.Systems["erp"].Fields("C-0042")!["phone"]);
        Assert.Equal("021-1", (string?)h.Systems["crm"].Fields("42")!["tel"]);
    }

    [Fact]
    public async Task A_load_of_both_sides_matches_records_that_exist_in_each_before_creating_any()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        // Only the CRM knows the phone, so the ERP's record can never pass for Isthmus's own create coming back.
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["level"] = "B级", ["tel"] = "021-1" });
        h.Systems["crm"].Edit("43", new JsonObject { ["uscc"] = "913200", ["company_full_name"] = "Only in the CRM" });
        h.Systems["erp"].Edit("C-0042", new JsonObject { ["tax_no"] = " 913100 ", ["cust_name"] = "ABC", ["grade"] = "B", ["limit_cents"] = 500000 });
        h.Systems["crm"].Notifications.Clear();
        h.Systems["erp"].Notifications.Clear();

        // The ERP is slow: by the time its records are read, the CRM's have been merged and whatever writes they planned were sent.
        h.Systems["erp"].BeforeRead = async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(await h.Store.CountsAsync(CancellationToken.None)).TryGetValue("entities.Customer", out var n) || n < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the CRM's records were never merged");
                await Task.Delay(10);
            }

            await h.FlushWritesAsync();
        };

        var jobs = h.Engine.StartLoad("Customer", connection: null);
        await Task.WhenAll(jobs.Select(j => j.Completion));
        await h.FlushWritesAsync();

        Assert.Equal(["done", "done"], jobs.Select(j => j.Status));
        Assert.Equal(["42", "43"], h.Systems["crm"].Ids.Order());
        var erpIds = h.Systems["erp"].Ids;
        Assert.Equal(2, erpIds.Count);
        Assert.Equal("Only in the CRM", (string?)h.Systems["erp"].Fields(erpIds.Single(id => id != "C-0042"))!["cust_name"]);
        Assert.Equal(2L, (await h.Store.CountsAsync(CancellationToken.None))["entities.Customer"]);
    }

    [Fact]
    public async Task A_load_whose_read_of_one_side_fails_writes_nothing_rather_than_creating_records_that_may_exist_there()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        h.Systems["erp"].Edit("C-0042", new JsonObject { ["tax_no"] = "913100", ["cust_name"] = "ABC" });
        h.Systems["erp"].ReadFailure = new InvalidOperationException("the ERP is down");

        var jobs = h.Engine.StartLoad("Customer", connection: null);
        await Task.WhenAll(jobs.Select(j => j.Completion));

        Assert.Equal(["failed", "failed"], jobs.Select(j => j.Status));
        Assert.All(jobs, j => Assert.Contains("reading erp failed", j.Error, StringComparison.Ordinal));
        Assert.Contains("the ERP is down", jobs.Single(j => j.Connection == "erp").Error, StringComparison.Ordinal);
        Assert.Equal(0, await h.FlushWritesAsync());
        Assert.Equal(["C-0042"], h.Systems["erp"].Ids);

        // Once the ERP answers, loading again matches the two records.
        h.Systems["erp"].ReadFailure = null;
        jobs = h.Engine.StartLoad("Customer", connection: null);
        await Task.WhenAll(jobs.Select(j => j.Completion));
        await h.FlushWritesAsync();
        Assert.Equal(["done", "done"], jobs.Select(j => j.Status));
        Assert.Equal(["C-0042"], h.Systems["erp"].Ids);
        Assert.Equal(1L, (await h.Store.CountsAsync(CancellationToken.None))["entities.Customer"]);
    }

    [Fact]
    public async Task A_load_of_the_last_side_queues_each_pages_writes_while_the_next_pages_are_read()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        var erp = h.Systems["erp"];
        for (var i = 0; i < 2500; i++)
        {
            erp.Edit($"E{i:D4}", new JsonObject { ["tax_no"] = $"9{i:D5}", ["cust_name"] = $"Customer {i}", ["limit_cents"] = i * 100 });
        }

        // Pages of 1,000: the third is read once the first is merged (the second is read while the first is).
        long? queuedAtThirdRead = null;
        erp.BeforeRead = () =>
        {
            erp.BeforeRead = () =>
            {
                erp.BeforeRead = async () => queuedAtThirdRead = (await h.Store.CountsAsync(CancellationToken.None)).GetValueOrDefault("writes.pending");
                return Task.CompletedTask;
            };
            return Task.CompletedTask;
        };

        var job = h.Engine.StartLoad("Customer", "erp").Single();
        await job.Completion;
        Assert.Equal("done", job.Status);
        Assert.True(queuedAtThirdRead >= 1000, $"writes queued when the third page was read: {queuedAtThirdRead}");
        Assert.Equal(2500, await h.FlushWritesAsync());

        var crm = h.Systems["crm"];
        Assert.Equal(2500, crm.Ids.Count);
        Assert.Equal(2500, crm.Ids.Select(id => (string?)crm.Fields(id)!["uscc"]).Distinct().Count());
        Assert.Equal(0, await h.FlushWritesAsync());

        // Loading again finds every record as it is: nothing new to write.
        job = h.Engine.StartLoad("Customer", "erp").Single();
        await job.Completion;
        Assert.Equal(2500, job.Summary.Unchanged);
        Assert.Equal(0, await h.FlushWritesAsync());
        Assert.Equal(2500, crm.Ids.Count);
    }

    [Fact]
    public async Task A_load_whose_last_read_fails_part_way_writes_the_entities_it_merged_and_says_so()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        var erp = h.Systems["erp"];
        for (var i = 0; i < 2500; i++)
        {
            erp.Edit($"E{i:D4}", new JsonObject { ["tax_no"] = $"9{i:D5}", ["cust_name"] = $"Customer {i}" });
        }

        // The second read succeeds and the third fails: two pages are merged.
        erp.BeforeRead = () =>
        {
            erp.BeforeRead = () =>
            {
                erp.ReadFailure = new InvalidOperationException("the ERP went away");
                return Task.CompletedTask;
            };
            return Task.CompletedTask;
        };

        var job = h.Engine.StartLoad("Customer", "erp").Single();
        await job.Completion;
        Assert.Equal("failed", job.Status);
        Assert.Contains("the ERP went away", job.Error, StringComparison.Ordinal);
        Assert.Contains("only the 2,000 entities merged from it before that were written", job.Error, StringComparison.Ordinal);
        Assert.Equal(2000, await h.FlushWritesAsync());
        Assert.Equal(2000, h.Systems["crm"].Ids.Count);

        // Once the ERP answers, loading again writes the rest and nothing twice.
        erp.ReadFailure = null;
        job = h.Engine.StartLoad("Customer", "erp").Single();
        await job.Completion;
        Assert.Equal("done", job.Status);
        Assert.Equal(500, await h.FlushWritesAsync());
        Assert.Equal(2500, h.Systems["crm"].Ids.Count);
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
    public async Task A_record_that_never_held_a_field_does_not_wipe_its_value_even_from_the_source_of_truth()
    {
        // The CRM shows the limit too; the ERP owns it but has not said anything yet, so the CRM's value fills the gap.
        await using var h = await SyncHarness.StartAsync(Yaml.Replace("phone: tel\n", "phone: tel\n          creditLimit: limit\n", StringComparison.Ordinal), "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        var erpId = Assert.Single(h.Systems["erp"].Ids);
        h.Systems["crm"].Edit("42", new JsonObject { ["limit"] = 500 });
        await h.DeliverAsync("Customer", "crm");

        // The ERP's notification of the record Isthmus created there (without a limit) arrives now: it says nothing about the limit.
        await h.DeliverAsync("Customer", "erp");
        await h.FlushWritesAsync();

        Assert.Equal(500m, decimal.Parse(h.Systems["crm"].Fields("42")!["limit"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(50000m, decimal.Parse(h.Systems["erp"].Fields(erpId)!["limit_cents"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture));
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_change_made_on_top_of_a_winner_in_the_same_second_beats_what_the_winner_beat_whatever_the_order(bool bFirst)
    {
        // c's value beats b's in a tie (c sorts after b); a's, made on top of c's in that second, must then beat b's as well
        // (although a sorts before b), or the outcome would depend on which of a's and b's changes arrives first.
        var clock = new SharedClock();
        var systems = new[] { "a", "b", "c" }.Select(n => new FakeRecordSystem(n, clock)).ToList();
        await using var h = await SyncHarness.StartAsync(SyncConvergenceProperties.Yaml(3), systems);
        foreach (var system in systems)
        {
            var field = (string name) => SyncConvergenceProperties.RecordField(system.Connection, name);
            system.Edit(system.Connection + "-1", new JsonObject { [field("key")] = "k0", [field("lww")] = "seed" });
            await h.PollAsync("Item", system.Connection);
        }

        await h.FlushWritesAsync();
        clock.Now = clock.Now.AddSeconds(1);
        systems[2].Edit("c-1", new JsonObject { ["lww"] = "c1" });
        await h.DeliverAsync("Item", "c");
        await h.SendDueOnceAsync("a");
        systems[0].Edit("a-1", new JsonObject { ["lww"] = "a2" });
        systems[1].Edit("b-1", new JsonObject { ["latest"] = "b3" });
        foreach (var name in bFirst ? new[] { "b", "a" } : ["a", "b"])
        {
            await h.DeliverAsync("Item", name);
        }

        await h.FlushWritesAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await h.PollAsync("Item", name);
        }

        await h.FlushWritesAsync();
        Assert.Equal("a2", (string?)systems[0].Fields("a-1")!["lww"]);
        Assert.Equal("a2", (string?)systems[1].Fields("b-1")!["latest"]);
        Assert.Equal("a2", (string?)systems[2].Fields("c-1")!["lww"]);
    }

    [Fact]
    public async Task A_change_read_from_a_system_drops_the_writes_queued_to_it_before_it_changed()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "Old" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        // The ERP renames and that is queued for the CRM; then the CRM renames, later, and wins: the queued write is obsolete.
        h.Systems["erp"].Edit(erpId, new JsonObject { ["cust_name"] = "From ERP" });
        await h.DeliverAsync("Customer", "erp");
        h.Systems["crm"].Clock = h.Systems["erp"].Clock.AddMinutes(1);
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "From CRM" });
        await h.DeliverAsync("Customer", "crm");
        var crmWrites = h.Systems["crm"].Writes;
        await h.FlushWritesAsync();

        // The CRM already holds the winner: the old name is not written over it (its version check would have passed).
        Assert.Equal(crmWrites, h.Systems["crm"].Writes);
        Assert.Equal("From CRM", (string?)h.Systems["crm"].Fields("42")!["company_full_name"]);
        Assert.Equal("From CRM", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
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
    public async Task Reconciliation_asks_for_a_record_its_feed_left_out_before_calling_it_missing()
    {
        await using var h = await SyncHarness.StartAsync(Yaml.Replace("wins: lww", "wins: lww\n      deletes: propagate", StringComparison.Ordinal), "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        await h.DeliverAsync("Customer", "erp");
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        // The CRM's feed has not caught up with its latest change (as a SQL feed holds back rows changed in its last second).
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "ABC Ltd" });
        h.Systems["crm"].Notifications.Clear();
        h.Systems["crm"].HiddenFromFeed.Add("42");

        var dry = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        var item = Assert.Single(dry.Items);
        Assert.Equal(("differing", "crm", "42"), (item.Kind, item.Connection, item.RecordId));

        var repair = await h.Engine.ReconcileAsync("Customer", dryRun: false, CancellationToken.None);
        await h.FlushWritesAsync();
        Assert.Equal(0, repair.Connections.Sum(c => c.Missing));
        Assert.Equal("ABC Ltd", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
        Assert.Equal(["42"], h.Systems["crm"].Ids);
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

    [Theory]
    [InlineData("soft")]
    [InlineData("ignore")]
    public async Task A_record_deleted_behind_the_back_ends_the_refused_update_by_the_delete_policy_instead_of_looping(string deletes)
    {
        await using var h = await SyncHarness.StartAsync(Yaml.Replace("wins: lww", $"wins: lww\n      deletes: {deletes}", StringComparison.Ordinal), "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        var erpId = Assert.Single(h.Systems["erp"].Ids);
        await h.DeliverAsync("Customer", "erp");

        // Someone deletes the ERP's record and the notification is lost; then the CRM renames the customer.
        h.Systems["erp"].Delete(erpId);
        h.Systems["erp"].Notifications.Clear();
        h.Systems["crm"].Edit("42", new JsonObject { ["company_full_name"] = "ABC Ltd" });
        await h.DeliverAsync("Customer", "crm");
        var before = h.Systems["erp"].Writes;
        await h.FlushWritesAsync();

        var entity = (await h.Store.EntityPageAsync("Customer", null, 10, CancellationToken.None)).Single();
        if (deletes == "soft")
        {
            Assert.True(entity.Deleted); // the delete is taken as one, and nothing more is written
            Assert.Equal(before + 1, h.Systems["erp"].Writes);
            Assert.Empty(h.Systems["erp"].Ids);
        }
        else
        {
            Assert.False(entity.Deleted); // ignored: the entity stays and the ERP gets it again, once
            Assert.Equal(before + 2, h.Systems["erp"].Writes);
            var again = Assert.Single(h.Systems["erp"].Ids);
            Assert.NotEqual(erpId, again);
            Assert.Equal("ABC Ltd", (string?)h.Systems["erp"].Fields(again)!["cust_name"]);
        }
    }

    [Fact]
    public async Task A_refused_record_whose_next_version_is_accepted_closes_its_errors_without_a_retry()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        var crm = h.Systems["crm"];
        crm.Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        crm.Edit("43", new JsonObject { ["uscc"] = "913200", ["company_full_name"] = "DEF" });
        await h.DeliverAsync("Customer", "crm");
        var accepted = crm.Sent.Last(r => r.Id == "42");

        // Refused twice (two versions), and another record refused too.
        crm.Edit("42", new JsonObject { ["level"] = "Z" });
        crm.Edit("42", new JsonObject { ["level"] = "Y" });
        crm.Edit("43", new JsonObject { ["level"] = "Z" });
        await h.DeliverAsync("Customer", "crm");
        var open = await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None);
        Assert.Equal(3, open.Count);

        // A late notification of the version accepted before the refusals answers nothing.
        await h.Engine.IngestAsync(h.Mapping("Customer", "crm"), [accepted], null, CancellationToken.None);
        Assert.Equal(3, (await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None)).Count);

        // The fixed version is taken in: both errors of 42 close by themselves; 43's stays open.
        crm.Edit("42", new JsonObject { ["level"] = "A级" });
        await h.DeliverAsync("Customer", "crm");
        var left = Assert.Single(await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal("43", left.RecordId);
        Assert.All(open.Where(e => e.RecordId == "42"), e => Assert.False(h.Store.ErrorAsync(e.Id, CancellationToken.None).Result!.Open));
    }

    [Fact]
    public async Task A_record_refused_and_then_accepted_in_one_batch_leaves_no_error_and_accepted_then_refused_leaves_one()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        var crm = h.Systems["crm"];
        var bad = crm.Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC", ["level"] = "Z" });
        var good = crm.Edit("42", new JsonObject { ["level"] = "A级" });
        await h.Engine.IngestAsync(h.Mapping("Customer", "crm"), [bad, good], null, CancellationToken.None);
        Assert.Empty(await h.Store.ErrorsAsync(openOnly: false, 10, CancellationToken.None));

        var fine = crm.Edit("42", new JsonObject { ["level"] = "B级" });
        var worse = crm.Edit("42", new JsonObject { ["level"] = "Q" });
        await h.Engine.IngestAsync(h.Mapping("Customer", "crm"), [fine, worse], null, CancellationToken.None);
        var error = Assert.Single(await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal("42", error.RecordId);
    }

    [Fact]
    public async Task A_rule_sees_the_time_the_record_is_applied()
    {
        var yaml = Yaml.Replace("""
                  - name: limit-not-negative
            """, """
                  - name: not-from-the-future
                    check: entity.phone == null || entity.phone <= now().toISOString()
                    message: a date in the future
                  - name: limit-not-negative
            """, StringComparison.Ordinal);
        await using var h = await SyncHarness.StartAsync(yaml, "crm", "erp");
        h.Systems["crm"].Edit("1", new JsonObject { ["uscc"] = "1", ["company_full_name"] = "Past", ["tel"] = "2001-01-01" });
        h.Systems["crm"].Edit("2", new JsonObject { ["uscc"] = "2", ["company_full_name"] = "Future", ["tel"] = "2999-01-01" });
        await h.DeliverAsync("Customer", "crm");

        var error = Assert.Single(await h.Store.ErrorsAsync(true, 10, CancellationToken.None));
        Assert.Equal(("2", "rule not-from-the-future"), (error.RecordId, error.Problems[0].Rule)); // the past date passed
    }

    [Fact]
    public async Task A_refused_create_is_written_again_when_its_error_is_retried()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["erp"].Refuse = _ => new Connectors.ConnectorException("customer master data is locked", Connectors.FailureKind.Rejected, statusCode: 422);
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        var error = Assert.Single(await h.Store.ErrorsAsync(true, 10, CancellationToken.None));
        Assert.Equal("write", error.Kind);

        h.Systems["erp"].Refuse = null;
        Assert.Null(await h.Engine.RetryErrorAsync(error.Id, CancellationToken.None));
        await h.FlushWritesAsync();
        Assert.Equal("ABC", (string?)h.Systems["erp"].Fields(Assert.Single(h.Systems["erp"].Ids))!["cust_name"]);
        Assert.Empty(await h.Store.ErrorsAsync(true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_entity_whose_create_was_refused_for_good_is_reported_missing_and_created_by_the_repair()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        h.Systems["erp"].Refuse = _ => new Connectors.ConnectorException("customer master data is locked for month-end closing", Connectors.FailureKind.Rejected, statusCode: 422);
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        Assert.Empty(h.Systems["erp"].Ids);
        Assert.Contains("locked for month-end", Assert.Single(await h.Store.ErrorsAsync(true, 10, CancellationToken.None)).Problems[0].Message);

        h.Systems["erp"].Refuse = null;
        var dry = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        var item = Assert.Single(dry.Items);
        Assert.Equal(("missing", "erp", null), (item.Kind, item.Connection, item.RecordId));
        Assert.NotNull(item.EntityId);
        Assert.Equal(0, await h.FlushWritesAsync());

        await h.Engine.ReconcileAsync("Customer", dryRun: false, CancellationToken.None);
        await h.FlushWritesAsync();
        Assert.Equal("ABC", (string?)h.Systems["erp"].Fields(Assert.Single(h.Systems["erp"].Ids))!["cust_name"]);
        await h.DeliverAsync("Customer", "erp");
        Assert.Equal(0, (await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None)).Drift);
    }

    [Fact]
    public async Task Reconciliation_finds_and_repairs_drift_in_a_system_that_is_only_written_to()
    {
        var yaml = Yaml.Replace("      erp:\n        records: customers\n", "      erp:\n        records: customers\n        direction: out\n", StringComparison.Ordinal);
        Assert.NotEqual(Yaml, yaml);
        await using var h = await SyncHarness.StartAsync(yaml, "crm", "erp");
        h.Systems["crm"].Edit("42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();
        var erpId = Assert.Single(h.Systems["erp"].Ids);

        // Someone edits the target by hand; nothing is read from it, so only reconciliation can see it.
        h.Systems["erp"].Edit(erpId, new JsonObject { ["cust_name"] = "Edited in the ERP" });
        var dry = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        var item = Assert.Single(dry.Items);
        Assert.Equal(("differing", "erp", erpId), (item.Kind, item.Connection, item.RecordId));
        Assert.Equal(("name", "Edited in the ERP", "ABC"), (item.Fields[0].Field, (string?)item.Fields[0].Record, (string?)item.Fields[0].Model));

        await h.Engine.ReconcileAsync("Customer", dryRun: false, CancellationToken.None);
        await h.FlushWritesAsync();
        Assert.Equal("ABC", (string?)h.Systems["erp"].Fields(erpId)!["cust_name"]);
        Assert.Equal(0, (await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None)).Drift);
    }

    [Fact]
    public async Task A_new_record_refused_by_validation_leaves_no_entity_behind()
    {
        await using var h = await SyncHarness.StartAsync(Yaml, "crm", "erp");
        // No name: a required field, so no entity can be made of it.
        h.Systems["crm"].Edit("7", new JsonObject { ["uscc"] = "9131X" });
        await h.DeliverAsync("Customer", "crm");
        await h.FlushWritesAsync();

        Assert.Single(await h.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Empty(await h.Store.EntityPageAsync("Customer", null, 10, CancellationToken.None));
        var report = await h.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None);
        Assert.All(report.Connections, c => Assert.Equal(0, c.Missing)); // the refused record itself may count as extra
    }
}
