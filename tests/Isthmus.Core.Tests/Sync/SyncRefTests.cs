using System.Diagnostics;
using System.Text.Json.Nodes;
using Isthmus.Connectors;
using Isthmus.Sync;

namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// A <c>ref</c> whose entity is mapped on the same connection holds the referenced record's id in each system and the
/// referenced entity's id in the model: an order's customer in the CRM is the CRM's customer id, in the ERP the ERP's.
/// </summary>
public sealed class SyncRefTests
{
    private const string Yaml = """
        connections:
          crm: { kind: fake }
          erp: { kind: fake }
        entities:
          Customer:
            fields:
              creditCode: { type: string, required: true }
              name: string
            match: [creditCode]
            mappings:
              crm: { records: customers, fields: { creditCode: uscc, name: company_full_name } }
              erp: { records: customers, fields: { creditCode: tax_no, name: cust_name } }
          Order:
            fields:
              number: { type: string, required: true }
              customer: { type: ref, entity: Customer }
              amount: decimal
            match: [number]
            mappings:
              crm: { records: orders, fields: { number: no, customer: customer_id, amount: amount } }
              erp: { records: orders, fields: { number: order_no, customer: cust_no, amount: total } }
        """;

    private sealed class Systems : IAsyncDisposable
    {
        private Systems(SyncHarness h, Dictionary<string, FakeRecordSystem> orders)
        {
            H = h;
            Orders = orders;
        }

        public SyncHarness H { get; }

        public Dictionary<string, FakeRecordSystem> Orders { get; }

        public FakeRecordSystem Customers(string connection) => H.Systems[connection];

        /// <param name="settings">More top-level configuration (e.g. <c>deliveries:</c>).</param>
        public static async Task<Systems> StartAsync(string settings = "")
        {
            var crm = new FakeRecordSystem("crm");
            var erp = new FakeRecordSystem("erp");
            var orders = new Dictionary<string, FakeRecordSystem> { ["crm"] = new("crm-order"), ["erp"] = new("erp-order") };
            crm.RecordTypes["orders"] = orders["crm"];
            erp.RecordTypes["orders"] = orders["erp"];
            return new Systems(await SyncHarness.StartAsync(settings + Yaml, [crm, erp]), orders);
        }

        /// <summary>A customer C42 and its order O1 (SO-1) made in the CRM, read in: both are queued for the ERP.</summary>
        public async Task<string> CustomerAndOrderInCrmAsync()
        {
            Customers("crm").Edit("C42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
            await H.DeliverAsync("Customer", "crm");
            Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "C42", ["amount"] = 100 });
            await DeliverOrdersAsync("crm");
            return await EntityOfAsync("Customer", "crm", "customers", "C42");
        }

        public async Task<SyncWrite> QueuedOrderWriteAsync() =>
            Assert.Single(await H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None), w => w.Entity == "Order");

        /// <summary>Delivers the waiting order notifications of a connection.</summary>
        public async Task<IngestSummary> DeliverOrdersAsync(string connection)
        {
            var pending = Orders[connection].Notifications.ToList();
            Orders[connection].Notifications.Clear();
            return await H.Engine.IngestAsync(H.Mapping("Order", connection), pending, null, CancellationToken.None);
        }

        public JsonObject OrderIn(string connection, string number) =>
            Orders[connection].Ids.Select(id => Orders[connection].Fields(id)!).Single(f => (string?)(f["no"] ?? f["order_no"]) == number);

        public string CustomerId(string connection, string creditCode) =>
            Customers(connection).Ids.Single(id => (string?)(Customers(connection).Fields(id)!["uscc"] ?? Customers(connection).Fields(id)!["tax_no"]) == creditCode);

        public async Task<string> EntityOfAsync(string entity, string connection, string recordType, string recordId) =>
            Assert.Single(await H.Store.LinksByRecordAsync(entity, connection, recordType, [recordId], CancellationToken.None)).EntityId;

        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    [Fact]
    public async Task An_order_read_before_its_customer_brings_the_customer_in_and_reaches_the_erp_with_the_erps_customer_id()
    {
        await using var s = await Systems.StartAsync();
        s.Customers("crm").Edit("C42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        s.Customers("crm").Notifications.Clear(); // the customer's notification is lost: only the order's arrives
        s.Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "C42", ["amount"] = 100 });
        Assert.Equal(1, (await s.DeliverOrdersAsync("crm")).Created);

        // The model holds the customer entity's id, not the CRM's record id.
        var customer = await s.EntityOfAsync("Customer", "crm", "customers", "C42");
        var order = Assert.Single(await s.H.Store.EntitiesAsync("Order", [await s.EntityOfAsync("Order", "crm", "orders", "O1")], CancellationToken.None));
        Assert.Equal(customer, (string?)order.Fields["customer"]);

        // The ERP's customer is created first (refused once, so the order's write has to wait for it), then the order with its id.
        s.Customers("erp").FailNextWrites = 1;
        await s.H.SendDueOnceAsync("erp");
        Assert.Empty(s.Orders["erp"].Ids);
        await s.H.FlushWritesAsync();
        var erpCustomer = s.CustomerId("erp", "913100");
        Assert.Equal(erpCustomer, (string?)s.OrderIn("erp", "SO-1")["cust_no"]);

        // Their echoes change nothing, and reconciliation finds no drift from the ids differing per system.
        await s.DeliverOrdersAsync("erp");
        await s.H.DeliverAsync("Customer", "erp");
        Assert.Equal(0, await s.H.FlushWritesAsync());
        foreach (var entity in new[] { "Order", "Customer" })
        {
            var report = await s.H.Engine.ReconcileAsync(entity, dryRun: true, CancellationToken.None);
            Assert.Equal(0, report.Drift);
        }
    }

    [Fact]
    public async Task Reconciliation_leaves_a_reference_to_a_record_no_longer_linked_out_of_the_comparison_and_still_finds_other_drift()
    {
        await using var s = await Systems.StartAsync();
        var customer = await s.CustomerAndOrderInCrmAsync();
        await s.H.FlushWritesAsync();
        Assert.Null(await s.H.Engine.UnlinkAsync("Customer", customer, "erp", null, CancellationToken.None));

        // The ERP order still names its customer record, which no entity is linked to now: that is not drift of the order.
        var report = await s.H.Engine.ReconcileAsync("Order", dryRun: true, CancellationToken.None);
        Assert.Equal(0, report.Drift);

        // A field changed behind Isthmus's back on the same record still is.
        var erpOrder = s.Orders["erp"].Ids.Single();
        s.Orders["erp"].Edit(erpOrder, new JsonObject { ["total"] = 150 });
        report = await s.H.Engine.ReconcileAsync("Order", dryRun: true, CancellationToken.None);
        var item = Assert.Single(report.Items);
        Assert.Equal(("differing", "erp"), (item.Kind, item.Connection));
        Assert.Equal(["amount"], item.Fields.Select(f => f.Field));
    }

    [Fact]
    public async Task An_order_made_in_the_erp_reaches_the_crm_with_the_crms_customer_id()
    {
        await using var s = await Systems.StartAsync();
        s.Customers("erp").Edit("E7", new JsonObject { ["tax_no"] = "913200", ["cust_name"] = "DEF" });
        s.Customers("erp").Notifications.Clear();
        s.Orders["erp"].Edit("P9", new JsonObject { ["order_no"] = "SO-2", ["cust_no"] = "E7", ["total"] = 5 });
        await s.DeliverOrdersAsync("erp");
        await s.H.FlushWritesAsync();

        Assert.Equal(s.CustomerId("crm", "913200"), (string?)s.OrderIn("crm", "SO-2")["customer_id"]);
        Assert.NotEqual("E7", s.CustomerId("crm", "913200"));
    }

    [Fact]
    public async Task A_ref_to_a_record_that_does_not_exist_is_refused_with_field_value_and_entity_and_closes_once_corrected()
    {
        await using var s = await Systems.StartAsync();
        s.Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "NOPE", ["amount"] = 1 });
        Assert.Equal(1, (await s.DeliverOrdersAsync("crm")).Rejected);
        var error = Assert.Single(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        var problem = Assert.Single(error.Problems);
        Assert.Equal("customer", problem.Field);
        Assert.Equal("NOPE", problem.Value);
        Assert.Equal("ref", problem.Rule);
        Assert.Contains("Order.customer refers to Customer 'NOPE'", problem.Message);
        Assert.Contains("crm has no customers record 'NOPE'", problem.Message);
        Assert.Equal(0, await s.H.FlushWritesAsync()); // nothing written anywhere, no empty reference

        // The reference corrected in the CRM: the order is taken in, and its error closes.
        s.Customers("crm").Edit("C1", new JsonObject { ["uscc"] = "913300", ["company_full_name"] = "GHI" });
        s.Orders["crm"].Edit("O1", new JsonObject { ["customer_id"] = "C1" });
        await s.DeliverOrdersAsync("crm");
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        await s.H.FlushWritesAsync();
        Assert.Equal(s.CustomerId("erp", "913300"), (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
    }

    [Fact]
    public async Task An_order_moved_to_a_customer_no_longer_linked_in_the_erp_fails_naming_field_and_customer_instead_of_waiting_forever()
    {
        await using var s = await Systems.StartAsync();
        s.Customers("crm").Edit("C42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        s.Customers("crm").Edit("C43", new JsonObject { ["uscc"] = "913101", ["company_full_name"] = "ABD" });
        await s.H.DeliverAsync("Customer", "crm");
        s.Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "C42", ["amount"] = 100 });
        await s.DeliverOrdersAsync("crm");
        await s.H.FlushWritesAsync();
        var first = s.CustomerId("erp", "913100");
        var second = s.CustomerId("erp", "913101");
        var customer = await s.EntityOfAsync("Customer", "crm", "customers", "C43");

        // The second customer loses its ERP link (nothing will create it there again); then the order moves to it.
        Assert.Null(await s.H.Engine.UnlinkAsync("Customer", customer, "erp", null, CancellationToken.None));
        s.Orders["crm"].Edit("O1", new JsonObject { ["customer_id"] = "C43", ["amount"] = 120 });
        await s.DeliverOrdersAsync("crm");
        await s.H.SendDueOnceAsync("erp");
        Assert.Equal(first, (string?)s.OrderIn("erp", "SO-1")["cust_no"]); // not sent with a wrong reference
        Assert.Equal(100, (int?)s.OrderIn("erp", "SO-1")["total"]);
        Assert.Empty(await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None));
        var error = Assert.Single(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal(("Order", "write", "erp"), (error.Entity, error.Kind, error.Connection));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(("customer", customer, "ref"), (problem.Field, problem.Value, problem.Rule));
        Assert.StartsWith($"Order.customer refers to Customer {customer}, which has no customers record in erp and will not get one: no write of it there is queued", problem.Message);

        // Linked again (by hand, to the record it had) and the error retried: the order goes out with that id.
        Assert.Null(await s.H.Engine.LinkAsync("Customer", customer, "erp", null, second, "tester", CancellationToken.None));
        Assert.Null(await s.H.Engine.RetryErrorAsync(error.Id, CancellationToken.None));
        await s.H.FlushWritesAsync();
        Assert.Equal(second, (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
        Assert.Equal(120, (int?)s.OrderIn("erp", "SO-1")["total"]);
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_order_waiting_for_its_customers_create_uses_no_attempts_says_what_it_waits_for_and_goes_once_the_customer_exists()
    {
        await using var s = await Systems.StartAsync("deliveries: { maxAttempts: 4 }\n");
        await s.CustomerAndOrderInCrmAsync();

        // The ERP refuses the customer's create three times over (its fourth and last attempt succeeds); the order waits meanwhile.
        s.Customers("erp").FailNextWrites = 3;
        for (var pass = 0; pass < 3; pass++)
        {
            await s.H.SendDueOnceAsync("erp");
        }

        Assert.Empty(s.Orders["erp"].Ids);
        var waiting = await s.QueuedOrderWriteAsync();
        Assert.Equal(0, waiting.Attempts);
        Assert.Contains("Order.customer refers to Customer ", waiting.LastError);
        Assert.Contains("which has no customers record in erp yet (its create failed just now (erp is unavailable (503))); the write waits for it", waiting.LastError);
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));

        await s.H.SendDueOnceAsync("erp");
        Assert.Equal(s.CustomerId("erp", "913100"), (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_order_whose_customers_create_was_refused_fails_with_an_error_naming_field_customer_and_that_refusal_and_goes_once_both_are_retried()
    {
        await using var s = await Systems.StartAsync();
        var customer = await s.CustomerAndOrderInCrmAsync();
        s.Customers("erp").Refuse = _ => new ConnectorException("tax_no 913100 is not valid (400)", FailureKind.Rejected);

        // The customer's create is refused for good; the order, waiting for it, then fails too, saying why.
        await s.H.SendDueOnceAsync("erp");
        await s.H.SendDueOnceAsync("erp");
        Assert.Empty(await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None));
        var errors = await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None);
        var refused = Assert.Single(errors, e => e.Entity == "Customer");
        var order = Assert.Single(errors, e => e.Entity == "Order");
        Assert.Equal("write", order.Kind);
        var problem = Assert.Single(order.Problems);
        Assert.Equal(("customer", customer, "ref"), (problem.Field, problem.Value, problem.Rule));
        Assert.Equal($"Order.customer refers to Customer {customer}, which has no customers record in erp and will not get one: its own write there failed " +
            $"(sync error {refused.Id}: erp refused the write (rejected after 1 attempt(s)): tax_no 913100 is not valid (400)); fix that and retry it, then retry this error",
            problem.Message);
        Assert.Empty(s.Orders["erp"].Ids);

        // Fixed in the ERP, and both errors retried: the order goes out with the new customer's id.
        s.Customers("erp").Refuse = null;
        Assert.Null(await s.H.Engine.RetryErrorAsync(refused.Id, CancellationToken.None));
        Assert.Null(await s.H.Engine.RetryErrorAsync(order.Id, CancellationToken.None));
        await s.H.FlushWritesAsync();
        Assert.Equal(s.CustomerId("erp", "913100"), (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_order_queued_before_its_customers_create_goes_out_after_it_in_the_same_pass()
    {
        await using var s = await Systems.StartAsync();
        s.Customers("crm").Edit("C42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        s.Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "C42", ["amount"] = 100 });

        // Orders loaded first (their writes queued first), then customers: one batch holds the order before its customer's create.
        foreach (var entity in new[] { "Order", "Customer" })
        {
            await Task.WhenAll(s.H.Engine.StartLoad(entity, "crm").Select(j => j.Completion));
        }

        var due = await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None);
        Assert.Equal(["Order", "Customer"], due.Select(w => w.Entity));

        Assert.Equal(2, await s.H.SendDueOnceAsync("erp"));

        Assert.Equal(s.CustomerId("erp", "913100"), (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
        Assert.Empty(await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None));
        Assert.Equal(1, s.Orders["erp"].Writes);
    }

    [Fact]
    public async Task An_order_refers_to_a_customer_created_by_the_previous_batch_still_being_recorded_and_goes_out_without_waiting_for_the_recording()
    {
        await using var s = await Systems.StartAsync();
        s.Customers("crm").Edit("C42", new JsonObject { ["uscc"] = "913100", ["company_full_name"] = "ABC" });
        await s.H.DeliverAsync("Customer", "crm");
        var pass = s.H.Engine.WriterForTests("erp");

        // The customer's create is sent; recording its acknowledgement is held up (its lane is busy).
        var release = new TaskCompletionSource();
        var held = new TaskCompletionSource();
        var holding = s.H.Engine.InLaneAsync("Customer", async () =>
        {
            held.SetResult();
            await release.Task;
        }, CancellationToken.None);
        await held.Task;
        Assert.True(await pass());
        var erpCustomer = s.CustomerId("erp", "913100");

        // Meanwhile its order comes in; the next batch sends it with the acknowledged id, before the recording ends.
        s.Orders["crm"].Edit("O1", new JsonObject { ["no"] = "SO-1", ["customer_id"] = "C42", ["amount"] = 100 });
        await s.DeliverOrdersAsync("crm");
        var next = pass();
        var clock = Stopwatch.StartNew();
        while (s.Orders["erp"].Ids.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        Assert.Equal(erpCustomer, (string?)s.OrderIn("erp", "SO-1")["cust_no"]);
        Assert.False(next.IsCompleted); // still waiting for the recording
        release.SetResult();
        await holding;
        Assert.True(await next);
        while (await pass())
        {
        }

        Assert.Empty(await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None));
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        Assert.Equal(1, s.Orders["erp"].Writes);
    }

    [Fact]
    public async Task A_load_of_orders_and_customers_together_links_each_once_and_writes_the_right_references()
    {
        await using var s = await Systems.StartAsync();
        for (var i = 0; i < 30; i++)
        {
            s.Customers("crm").Edit($"C{i}", new JsonObject { ["uscc"] = $"91{i:D4}", ["company_full_name"] = $"Customer {i}" });
            s.Orders["crm"].Edit($"O{i}", new JsonObject { ["no"] = $"SO-{i}", ["customer_id"] = $"C{(i * 7) % 30}", ["amount"] = i });
        }

        // The ERP already has some of the customers: they are matched, not created twice.
        for (var i = 0; i < 10; i++)
        {
            s.Customers("erp").Edit($"E{i}", new JsonObject { ["tax_no"] = $"91{i:D4}", ["cust_name"] = $"Customer {i}" });
        }

        var jobs = s.H.Engine.StartLoad("Order", null).Concat(s.H.Engine.StartLoad("Customer", null)).ToList();
        await Task.WhenAll(jobs.Select(j => j.Completion));
        Assert.All(jobs, j => Assert.Null(j.Error));
        await s.H.FlushWritesAsync();

        Assert.Equal(30, s.Customers("erp").Ids.Count);
        Assert.Equal(30, s.Orders["erp"].Ids.Count);
        for (var i = 0; i < 30; i++)
        {
            var code = $"91{(i * 7) % 30:D4}";
            Assert.Equal(s.CustomerId("erp", code), (string?)s.OrderIn("erp", $"SO-{i}")["cust_no"]);
        }

        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
    }
}
