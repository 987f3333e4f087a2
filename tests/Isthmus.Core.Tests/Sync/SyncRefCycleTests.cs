using System.Text.Json.Nodes;

namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// New records that refer to each other (a customer and its primary contact, who works for it; a manager chain that closes
/// on itself; a chief who is their own manager) are taken in and written to another system without waiting on each other
/// forever: one goes first without the ref, and the ref follows once the other has an id.
/// </summary>
public sealed class SyncRefCycleTests
{
    private const string Yaml = """
        connections:
          crm: { kind: fake }
          erp: { kind: fake }
        entities:
          Customer:
            fields:
              creditCode: { type: string, required: true }
              primaryContact: { type: ref, entity: Contact }
            match: [creditCode]
            mappings:
              crm: { records: customers, fields: { creditCode: uscc, primaryContact: contact_id } }
              erp: { records: customers, fields: { creditCode: tax_no, primaryContact: main_contact } }
          Contact:
            fields:
              email: { type: string, required: true }
              company: { type: ref, entity: Customer }
            match: [email]
            mappings:
              crm: { records: contacts, fields: { email: email, company: customer_id } }
              erp: { records: contacts, fields: { email: mail, company: cust_no } }
          Employee:
            fields:
              employeeNo: { type: string, required: true }
              manager: { type: ref, entity: Employee }
            match: [employeeNo]
            mappings:
              crm: { records: users, fields: { employeeNo: job_no, manager: manager_id } }
              erp: { records: staff, fields: { employeeNo: emp_no, manager: boss } }
        """;

    private sealed class Systems(SyncHarness h) : IAsyncDisposable
    {
        public SyncHarness H { get; } = h;

        public FakeRecordSystem Of(string connection, string recordType) => H.Systems[connection].RecordTypes.GetValueOrDefault(recordType) ?? H.Systems[connection];

        public static async Task<Systems> StartAsync()
        {
            var systems = new[] { new FakeRecordSystem("crm"), new FakeRecordSystem("erp") };
            foreach (var system in systems)
            {
                system.RecordTypes["contacts"] = new FakeRecordSystem(system.Connection + "-contact");
                system.RecordTypes["users"] = system.RecordTypes["staff"] = new FakeRecordSystem(system.Connection + "-staff");
            }

            return new Systems(await SyncHarness.StartAsync(Yaml, systems));
        }

        public async Task DeliverAsync(string entity, string connection, string recordType)
        {
            var pending = Of(connection, recordType).Notifications.ToList();
            Of(connection, recordType).Notifications.Clear();
            await H.Engine.IngestAsync(H.Mapping(entity, connection), pending, null, CancellationToken.None);
        }

        public string IdIn(string connection, string recordType, string field, string value) =>
            Of(connection, recordType).Ids.Single(id => (string?)Of(connection, recordType).Fields(id)![field] == value);

        public JsonObject RecordIn(string connection, string recordType, string field, string value) =>
            Of(connection, recordType).Fields(IdIn(connection, recordType, field, value))!;

        public async Task<string> EntityOfAsync(string entity, string connection, string recordType, string recordId) =>
            Assert.Single(await H.Store.LinksByRecordAsync(entity, connection, recordType, [recordId], CancellationToken.None)).EntityId;

        public async Task NoErrorsAsync() => Assert.Empty(await H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));

        public async Task LoadAsync(params string[] entities)
        {
            var jobs = entities.SelectMany(e => H.Engine.StartLoad(e, "crm")).ToList();
            await Task.WhenAll(jobs.Select(j => j.Completion));
            Assert.All(jobs, j => Assert.Null(j.Error));
        }

        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    [Fact]
    public async Task A_new_customer_and_its_contact_who_refer_to_each_other_are_taken_in_together_and_reach_the_erp_with_each_others_ids()
    {
        await using var s = await Systems.StartAsync();
        s.Of("crm", "customers").Edit("C1", new JsonObject { ["uscc"] = "913100", ["contact_id"] = "P1" });
        s.Of("crm", "contacts").Edit("P1", new JsonObject { ["email"] = "li@abc.cn", ["customer_id"] = "C1" });
        s.Of("crm", "customers").Notifications.Clear(); // only the contact's notification arrives

        await s.DeliverAsync("Contact", "crm", "contacts");

        await s.NoErrorsAsync();
        var customer = await s.EntityOfAsync("Customer", "crm", "customers", "C1");
        var contact = await s.EntityOfAsync("Contact", "crm", "contacts", "P1");
        Assert.Equal(contact, (string?)Assert.Single(await s.H.Store.EntitiesAsync("Customer", [customer], CancellationToken.None)).Fields["primaryContact"]);
        Assert.Equal(customer, (string?)Assert.Single(await s.H.Store.EntitiesAsync("Contact", [contact], CancellationToken.None)).Fields["company"]);

        await s.H.FlushWritesAsync(); // ends: it throws when writes keep waiting for each other
        Assert.Equal(s.IdIn("erp", "contacts", "mail", "li@abc.cn"), (string?)s.RecordIn("erp", "customers", "tax_no", "913100")["main_contact"]);
        Assert.Equal(s.IdIn("erp", "customers", "tax_no", "913100"), (string?)s.RecordIn("erp", "contacts", "mail", "li@abc.cn")["cust_no"]);
        await s.NoErrorsAsync();

        // The ERP's notifications of those writes are echoes: nothing more to write, and no drift.
        await s.DeliverAsync("Customer", "erp", "customers");
        await s.DeliverAsync("Contact", "erp", "contacts");
        Assert.Equal(0, await s.H.FlushWritesAsync());
        Assert.Equal(0, (await s.H.Engine.ReconcileAsync("Customer", dryRun: true, CancellationToken.None)).Drift);
        Assert.Equal(0, (await s.H.Engine.ReconcileAsync("Contact", dryRun: true, CancellationToken.None)).Drift);
    }

    [Fact]
    public async Task A_loaded_customer_and_contact_queued_for_the_erp_as_creates_that_refer_to_each_other_are_written_one_after_the_other()
    {
        await using var s = await Systems.StartAsync();
        s.Of("crm", "customers").Edit("C1", new JsonObject { ["uscc"] = "913100", ["contact_id"] = "P1" });
        s.Of("crm", "contacts").Edit("P1", new JsonObject { ["email"] = "li@abc.cn", ["customer_id"] = "C1" });

        // A load plans both creates only once everything is read: each waits for the other's record in the ERP.
        await s.LoadAsync("Customer", "Contact");
        var creates = await s.H.Store.DueWritesAsync("erp", DateTimeOffset.MaxValue, 10, CancellationToken.None);
        Assert.Equal(["company", "primaryContact"], creates.SelectMany(w => w.Values.Select(v => v.Key)).Where(k => k is "company" or "primaryContact").Order());

        await s.H.FlushWritesAsync();

        Assert.Equal(s.IdIn("erp", "contacts", "mail", "li@abc.cn"), (string?)s.RecordIn("erp", "customers", "tax_no", "913100")["main_contact"]);
        Assert.Equal(s.IdIn("erp", "customers", "tax_no", "913100"), (string?)s.RecordIn("erp", "contacts", "mail", "li@abc.cn")["cust_no"]);
        Assert.Single(s.Of("erp", "customers").Ids);
        Assert.Single(s.Of("erp", "contacts").Ids);
        await s.NoErrorsAsync();
    }

    [Fact]
    public async Task A_chief_who_is_their_own_manager_is_created_then_given_their_own_id_as_manager()
    {
        await using var s = await Systems.StartAsync();
        s.Of("crm", "users").Edit("U1", new JsonObject { ["job_no"] = "E001", ["manager_id"] = "U1" });

        await s.LoadAsync("Employee");
        await s.H.FlushWritesAsync();

        var chief = s.IdIn("erp", "staff", "emp_no", "E001");
        Assert.Equal(chief, (string?)s.RecordIn("erp", "staff", "emp_no", "E001")["boss"]);
        await s.NoErrorsAsync();
    }

    [Fact]
    public async Task Three_new_employees_managing_each_other_in_a_circle_are_all_written_with_their_managers_ids()
    {
        await using var s = await Systems.StartAsync();
        s.Of("crm", "users").Edit("U1", new JsonObject { ["job_no"] = "E001", ["manager_id"] = "U2" });
        s.Of("crm", "users").Edit("U2", new JsonObject { ["job_no"] = "E002", ["manager_id"] = "U3" });
        s.Of("crm", "users").Edit("U3", new JsonObject { ["job_no"] = "E003", ["manager_id"] = "U1" });

        await s.LoadAsync("Employee");
        await s.NoErrorsAsync();
        await s.H.FlushWritesAsync();

        foreach (var (employee, manager) in new[] { ("E001", "E002"), ("E002", "E003"), ("E003", "E001") })
        {
            Assert.Equal(s.IdIn("erp", "staff", "emp_no", manager), (string?)s.RecordIn("erp", "staff", "emp_no", employee)["boss"]);
        }

        Assert.Equal(3, s.Of("erp", "staff").Ids.Count);
        await s.NoErrorsAsync();
    }
}
