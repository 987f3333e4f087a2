using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors;

namespace Isthmus.Core.Tests.Sync;

/// <summary>A <c>list</c> of refs (<c>of: ref</c>) is translated item by item, both ways, like a single ref.</summary>
public sealed class SyncRefListTests
{
    private const string Yaml = """
        connections:
          crm: { kind: fake }
          erp: { kind: fake }
        entities:
          Employee:
            fields:
              employeeNo: { type: string, required: true }
              name: string
            match: [employeeNo]
            mappings:
              crm: { records: users, fields: { employeeNo: job_no, name: name } }
              erp: { records: staff, fields: { employeeNo: emp_no, name: staff_name } }
          Project:
            fields:
              code: { type: string, required: true }
              members: { type: list, of: ref, entity: Employee }
            match: [code]
            mappings:
              crm: { records: projects, fields: { code: code, members: member_ids } }
              erp: { records: projects, fields: { code: proj_code, members: team } }
        """;

    private sealed class Systems(SyncHarness h, Dictionary<string, FakeRecordSystem> projects) : IAsyncDisposable
    {
        public SyncHarness H { get; } = h;

        public Dictionary<string, FakeRecordSystem> Projects { get; } = projects;

        public FakeRecordSystem People(string connection) => H.Systems[connection];

        public static async Task<Systems> StartAsync()
        {
            var crm = new FakeRecordSystem("crm");
            var erp = new FakeRecordSystem("erp");
            var projects = new Dictionary<string, FakeRecordSystem> { ["crm"] = new("crm-project"), ["erp"] = new("erp-project") };
            crm.RecordTypes["projects"] = projects["crm"];
            erp.RecordTypes["projects"] = projects["erp"];
            return new Systems(await SyncHarness.StartAsync(Yaml, [crm, erp]), projects);
        }

        public async Task DeliverProjectsAsync(string connection)
        {
            var pending = Projects[connection].Notifications.ToList();
            Projects[connection].Notifications.Clear();
            await H.Engine.IngestAsync(H.Mapping("Project", connection), pending, null, CancellationToken.None);
        }

        public JsonObject Project(string connection) => Projects[connection].Fields(Assert.Single(Projects[connection].Ids))!;

        public string StaffId(string employeeNo) => People("erp").Ids.Single(id => (string?)People("erp").Fields(id)!["emp_no"] == employeeNo);

        public async Task<string> EmployeeAsync(string recordId) =>
            Assert.Single(await H.Store.LinksByRecordAsync("Employee", "crm", "users", [recordId], CancellationToken.None)).EntityId;

        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    [Fact]
    public async Task Each_member_of_a_project_is_translated_in_and_out_in_order_reading_in_a_member_not_linked_yet()
    {
        await using var s = await Systems.StartAsync();
        s.People("crm").Edit("U1", new JsonObject { ["job_no"] = "E001", ["name"] = "Li" });
        await s.H.DeliverAsync("Employee", "crm");
        s.People("crm").Edit("U2", new JsonObject { ["job_no"] = "E002", ["name"] = "Wang" });
        s.People("crm").Notifications.Clear(); // U2's notification is lost: the project's brings it in
        s.Projects["crm"].Edit("P1", new JsonObject { ["code"] = "PRJ-1", ["member_ids"] = new JsonArray("U2", "U1") });
        await s.DeliverProjectsAsync("crm");

        var project = Assert.Single(await s.H.Store.EntityPageAsync("Project", null, 10, CancellationToken.None));
        Assert.Equal(new JsonArray(await s.EmployeeAsync("U2"), await s.EmployeeAsync("U1")).ToJsonString(), project.Fields["members"]!.ToJsonString());

        // Out: the members' staff records are created first; the project's team holds their ERP ids, in the same order.
        await s.H.FlushWritesAsync();
        Assert.Equal(new JsonArray(s.StaffId("E002"), s.StaffId("E001")).ToJsonString(), s.Project("erp")["team"]!.ToJsonString());

        // A change in the ERP comes back to the CRM with the CRM's ids; reconciliation sees no drift in the differing ids.
        s.Projects["erp"].Edit(Assert.Single(s.Projects["erp"].Ids), new JsonObject { ["team"] = new JsonArray(s.StaffId("E001")) });
        await s.DeliverProjectsAsync("erp");
        await s.H.FlushWritesAsync();
        Assert.Equal("""["U1"]""", s.Project("crm")["member_ids"]!.ToJsonString());
        Assert.Equal(0, (await s.H.Engine.ReconcileAsync("Project", dryRun: true, CancellationToken.None)).Drift);
        Assert.Empty(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_member_that_does_not_exist_refuses_the_project_naming_the_item()
    {
        await using var s = await Systems.StartAsync();
        s.People("crm").Edit("U1", new JsonObject { ["job_no"] = "E001", ["name"] = "Li" });
        s.Projects["crm"].Edit("P1", new JsonObject { ["code"] = "PRJ-1", ["member_ids"] = new JsonArray("U1", "NOPE") });
        await s.DeliverProjectsAsync("crm");

        var error = Assert.Single(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(("members", "NOPE", "ref"), (problem.Field, problem.Value, problem.Rule));
        Assert.Equal("Project.members[1] refers to Employee 'NOPE', but crm has no users record 'NOPE'; correct the reference or create the record there", problem.Message);
        Assert.Empty(await s.H.Store.EntityPageAsync("Project", null, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_project_whose_members_staff_record_is_refused_fails_naming_the_item_instead_of_waiting()
    {
        await using var s = await Systems.StartAsync();
        s.People("crm").Edit("U1", new JsonObject { ["job_no"] = "E001", ["name"] = "Li" });
        s.People("crm").Edit("U2", new JsonObject { ["job_no"] = "E002", ["name"] = "Wang" });
        await s.H.DeliverAsync("Employee", "crm");
        s.Projects["crm"].Edit("P1", new JsonObject { ["code"] = "PRJ-1", ["member_ids"] = new JsonArray("U1", "U2") });
        await s.DeliverProjectsAsync("crm");
        s.People("erp").Refuse = w => (string?)w.Fields["emp_no"] == "E002" ? new ConnectorException("no such department (400)", FailureKind.Rejected) : null;

        await s.H.FlushWritesAsync();

        Assert.Empty(s.Projects["erp"].Ids);
        var error = Assert.Single(await s.H.Store.ErrorsAsync(openOnly: true, 10, CancellationToken.None), e => e.Entity == "Project");
        var problem = Assert.Single(error.Problems);
        Assert.Equal(("members", await s.EmployeeAsync("U2")), (problem.Field, problem.Value));
        Assert.StartsWith($"Project.members[1] refers to Employee {await s.EmployeeAsync("U2")}, which has no staff record in erp and will not get one: its own write there failed",
            problem.Message);
    }

    [Fact]
    public void A_list_of_refs_needs_the_entity_it_points_at()
    {
        var result = ConfigurationLoader.LoadText("""
            entities:
              Employee:
                fields: { employeeNo: string }
              Project:
                fields:
                  members: { type: list, of: ref }
                  owners: { type: list, of: ref, entity: Employee }
                  reviewers: { type: list, of: ref, entity: Employe }
            """, "isthmus.yaml", Path.GetTempPath());

        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("isthmus.yaml:6:", StringComparison.Ordinal) && e.Contains("a list of refs needs entity: <name of the entity it points at>", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("isthmus.yaml:8:", StringComparison.Ordinal) && e.Contains("there is no entity 'Employe'", StringComparison.Ordinal));
    }
}
