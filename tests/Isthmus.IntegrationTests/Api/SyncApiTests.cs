using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Isthmus.IntegrationTests.Support;
using Microsoft.Data.Sqlite;

namespace Isthmus.IntegrationTests.Api;

/// <summary>The sync API over a real server: two SQLite tables as a CRM and an ERP, synced through the model.</summary>
public sealed class SyncApiTests : IAsyncLifetime
{
    // Appended to the test configuration's connections (hence the first line's indentation), then the model.
    private const string Model = """
          crm:
            kind: sql
            provider: sqlite
            connectionString: "Data Source={{Databases}}/crm.db"
            tables:
              customers: { id: id, cursor: updated_at, lag: 0s }
          erp:
            kind: sql
            provider: sqlite
            connectionString: "Data Source={{Databases}}/erp.db"
            tables:
              customers: { id: code, cursor: updated_at, version: row_version, lag: 0s }
        codeTables:
          levels: { normalize: [trim], codes: { "A级": A, "B级": B } }
        entities:
          Customer:
            label: { en: Customer, zh: 客户 }
            fields:
              name: { type: string, required: true, normalize: [trim, collapse] }
              credit: { type: enum, values: [A, B] }
              phone: string
            match: [name]
            sync:
              wins: lww
              fields: { phone: manual }
            mappings:
              crm:
                records: customers
                fields: { name: name, credit: { path: level, codes: levels }, phone: tel }
              erp:
                records: customers
                ifMatch: true
                createId: "entity.name == 'ACME Ltd' ? 'E1' : 'E-' + entity.name"
                fields: { name: cust_name, credit: grade, phone: phone }
        """;

    // Outside the application's folder: the tables must exist before the server first looks at them.
    private readonly string _databases = Directory.CreateTempSubdirectory("isthmus-sync-api-").FullName;
    private IsthmusApplication _app = null!;

    private HttpClient Http => _app.Http;

    public async ValueTask InitializeAsync()
    {
        Sql("crm", "CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, level TEXT, tel TEXT, updated_at TEXT)");
        Sql("erp", "CREATE TABLE customers (code TEXT PRIMARY KEY, cust_name TEXT, grade TEXT, phone TEXT, updated_at TEXT, row_version INTEGER)");
        _app = await IsthmusApplication.StartAsync(IsthmusTest.Forward("/x"), Model.Replace("{{Databases}}", _databases, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_databases, recursive: true);
    }

    [Fact]
    public async Task Load_links_match_and_reconcile_are_driven_and_seen_through_the_api()
    {
        var model = await _app.GetJsonAsync("/api/v1/entities");
        var customer = Assert.Single(model.EnumerateArray());
        Assert.Equal("客户", customer.GetProperty("label").GetProperty("zh").GetString());
        Assert.Equal("manual", customer.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "phone").GetProperty("wins").GetString());
        Assert.Equal(["crm", "erp"], customer.GetProperty("mappings").EnumerateArray().Select(m => m.GetProperty("connection").GetString()));

        // The initial load creates the CRM's customers in the ERP, normalized and with codes mapped.
        Sql("crm", "INSERT INTO customers VALUES ('1', 'ACME  Ltd', 'A级', '021-1', '2024-01-01 00:00:00'), ('2', 'Beta', 'B级', NULL, '2024-01-01 00:00:00')");
        await LoadAsync();
        await QuietAsync();

        Assert.Equal(2, Rows("erp", "SELECT COUNT(*) FROM customers"));
        Assert.Equal("B", Rows("erp", "SELECT grade FROM customers WHERE cust_name = 'Beta'"));
        Assert.Equal("ACME Ltd", Rows("erp", "SELECT cust_name FROM customers WHERE code = 'E1'"));
        var acme = (await _app.GetJsonAsync("/api/v1/links?entity=Customer&connection=erp&recordId=E1")).EnumerateArray().Single().GetProperty("entityId").GetString()!;
        var acmeLinks = await _app.GetJsonAsync($"/api/v1/links?entity=Customer&entityId={acme}");
        Assert.Equal([("crm", "1"), ("erp", "E1")], acmeLinks.EnumerateArray().Select(l => (l.GetProperty("connection").GetString(), l.GetProperty("recordId").GetString())).Order());
        var page = await _app.GetJsonAsync("/api/v1/entities/Customer");
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        var status = await _app.GetJsonAsync("/api/v1/sync/status");
        Assert.Equal(2, status.GetProperty("counts").GetProperty("entities.Customer").GetInt64());

        // Changed behind Isthmus's back: the dry run reports it with both values and changes nothing; the repair spreads it.
        Sql("erp", "UPDATE customers SET cust_name = 'ACME Group', updated_at = '2030-01-01 00:00:00' WHERE code = 'E1'");
        var dry = await ReconcileAsync(dryRun: true);
        var item = dry.GetProperty("items").EnumerateArray().Single();
        Assert.Equal(("differing", "erp", "E1"), (item.GetProperty("kind").GetString(), item.GetProperty("connection").GetString(), item.GetProperty("recordId").GetString()));
        var field = item.GetProperty("fields").EnumerateArray().Single();
        Assert.Equal(("name", "ACME Group", "ACME Ltd"), (field.GetProperty("field").GetString(), field.GetProperty("record").GetString(), field.GetProperty("model").GetString()));
        Assert.Equal("ACME  Ltd", Rows("crm", "SELECT name FROM customers WHERE id = '1'"));

        await ReconcileAsync(dryRun: false);
        await QuietAsync();
        Assert.Equal("ACME Group", Rows("crm", "SELECT name FROM customers WHERE id = '1'"));
        Assert.Equal(0, (await ReconcileAsync(dryRun: true)).GetProperty("items").GetArrayLength());
        var history = await _app.GetJsonAsync("/api/v1/reconciliations");
        Assert.Equal([true, false, true], history.EnumerateArray().Select(r => r.GetProperty("dryRun").GetBoolean()).Reverse());
        var stored = await _app.GetJsonAsync($"/api/v1/reconciliations/{history[1].GetProperty("id").GetInt64()}");
        Assert.Equal(1, stored.GetProperty("items").GetArrayLength());

        // Unlink by hand, then link again: both audited.
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync($"/api/v1/links/Customer/{acme}/erp")).StatusCode);
        Assert.Empty((await _app.GetJsonAsync("/api/v1/links?entity=Customer&connection=erp&recordId=E1")).EnumerateArray());
        var relink = await Http.PutAsJsonAsync("/api/v1/links", new { entity = "Customer", entityId = acme, connection = "erp", recordId = "E1" });
        Assert.Equal(HttpStatusCode.OK, relink.StatusCode);
        Assert.Equal(acme, (await relink.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entityId").GetString());
        var audit = (await _app.GetJsonAsync("/api/v1/audit")).EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Contains("link.remove", audit);
        Assert.Contains("link.set", audit);
        Assert.Contains("reconcile", audit);
    }

    [Fact]
    public async Task A_manual_conflict_is_listed_with_both_values_and_resolving_it_writes_the_choice_everywhere()
    {
        Sql("crm", "INSERT INTO customers VALUES ('1', 'ACME', 'A级', '021-1', '2024-01-01 00:00:00')");
        await LoadAsync();
        await QuietAsync();

        Sql("crm", "UPDATE customers SET tel = '021-2', updated_at = '2030-01-01 00:00:00'");
        Sql("erp", "UPDATE customers SET phone = '021-3', updated_at = '2030-01-01 00:00:01'");
        await LoadAsync();
        await QuietAsync();

        var conflict = (await _app.GetJsonAsync("/api/v1/conflicts")).EnumerateArray().Single();
        Assert.Equal("phone", conflict.GetProperty("field").GetString());
        Assert.Equal([("crm", "021-2"), ("erp", "021-3")],
            conflict.GetProperty("candidates").EnumerateArray().Select(c => (c.GetProperty("source").GetString(), c.GetProperty("value").GetString())).Order());

        var bad = await Http.PostAsJsonAsync($"/api/v1/conflicts/{conflict.GetProperty("id").GetInt64()}/resolve", new { source = "oa" });
        Assert.Equal(HttpStatusCode.Conflict, bad.StatusCode);
        Assert.Contains("has no value from 'oa'", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var resolved = await Http.PostAsJsonAsync($"/api/v1/conflicts/{conflict.GetProperty("id").GetInt64()}/resolve", new { source = "erp" });
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        await QuietAsync();
        Assert.Equal("021-3", Rows("crm", "SELECT tel FROM customers"));
        Assert.Equal("021-3", Rows("erp", "SELECT phone FROM customers"));
        Assert.Empty((await _app.GetJsonAsync("/api/v1/conflicts")).EnumerateArray());
        var closed = (await _app.GetJsonAsync("/api/v1/conflicts?open=false"))[0];
        Assert.Equal("021-3", closed.GetProperty("resolution").GetString());
        Assert.False(string.IsNullOrEmpty(closed.GetProperty("resolvedBy").GetString()));
    }

    [Fact]
    public async Task A_refused_record_is_listed_with_field_value_and_rule_and_goes_through_when_retried_after_the_fix()
    {
        Sql("crm", "INSERT INTO customers VALUES ('7', 'Gamma', 'Z级', NULL, '2024-01-01 00:00:00')");
        await LoadAsync();
        await QuietAsync();

        var error = (await _app.GetJsonAsync("/api/v1/sync/errors")).EnumerateArray().Single();
        Assert.Equal(("Customer", "crm", "7"), (error.GetProperty("entity").GetString(), error.GetProperty("connection").GetString(), error.GetProperty("recordId").GetString()));
        var problem = error.GetProperty("problems").EnumerateArray().Single();
        Assert.Equal("credit", problem.GetProperty("field").GetString());
        Assert.Equal("Z级", problem.GetProperty("value").GetString());
        Assert.Equal(0, Rows("erp", "SELECT COUNT(*) FROM customers"));

        var stillBad = await Http.PostAsync($"/api/v1/sync/errors/{error.GetProperty("id").GetInt64()}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, stillBad.StatusCode);

        Sql("crm", "UPDATE customers SET level = 'B级'");
        var retried = await Http.PostAsync($"/api/v1/sync/errors/{error.GetProperty("id").GetInt64()}/retry", null);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        await QuietAsync();
        Assert.Equal("B", Rows("erp", "SELECT grade FROM customers WHERE cust_name = 'Gamma'"));
        Assert.DoesNotContain((await _app.GetJsonAsync("/api/v1/sync/errors")).EnumerateArray(), e => e.GetProperty("id").GetInt64() == error.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task The_cli_loads_lists_links_and_reconciles_through_the_api()
    {
        Sql("crm", "INSERT INTO customers VALUES ('1', 'ACME Ltd', 'A级', NULL, '2024-01-01 00:00:00')");
        Sql("crm", "INSERT INTO customers VALUES ('2', NULL, 'A级', NULL, '2024-01-01 00:00:00')"); // no name: refused

        var load = await CliAsync("sync", "load", "Customer");
        Assert.Contains("crm: done, 2 records read", load);
        Assert.Contains("Customer from crm/customers record 2", await CliAsync("sync", "errors"));
        Assert.Contains("name = null: ", await CliAsync("sync", "errors"));
        Assert.Contains("rejected 1", await CliAsync("sync", "jobs"));
        await QuietAsync();
        Assert.Contains("E1", await CliAsync("links", "list", "Customer", "--connection", "erp", "--record-id", "E1"));

        Sql("erp", "UPDATE customers SET grade = 'B' WHERE code = 'E1'");
        var dry = await CliAsync("reconcile", "Customer", "--dry-run");
        Assert.Contains("dry run, nothing changed", dry);
        Assert.Contains("credit: system \"B\", model \"A\"", dry);
        Assert.Contains("entities.Customer: 1", await CliAsync("sync", "status"));
        Assert.Contains("0 shown", await CliAsync("conflicts", "list"));
    }

    [Fact]
    public async Task Deleted_customers_come_back_by_hand_through_the_cli_and_by_their_record_reappearing()
    {
        Sql("crm", "INSERT INTO customers VALUES ('1', 'ACME Ltd', 'A级', NULL, '2024-01-01 00:00:00'), ('2', 'Beta', 'B级', NULL, '2024-01-01 00:00:00')");
        await LoadAsync();
        await QuietAsync();

        // Deleted in the ERP behind Isthmus's back: reconciliation finds them missing and deletes the customers (soft).
        Sql("erp", "DELETE FROM customers");
        await ReconcileAsync(dryRun: false);
        await QuietAsync();
        Assert.All((await _app.GetJsonAsync("/api/v1/entities/Customer")).GetProperty("items").EnumerateArray(), e => Assert.True(e.GetProperty("deleted").GetBoolean()));
        Assert.Equal(0, Rows("erp", "SELECT COUNT(*) FROM customers"));

        // By hand, named by the deleted record: the customer syncs again and is created again in the ERP.
        var revived = await CliAsync("sync", "revive", "Customer", "--connection", "erp", "--record-id", "E1");
        Assert.Contains("\"deleted\": false", revived);
        await QuietAsync();
        Assert.Equal("ACME Ltd", Rows("erp", "SELECT cust_name FROM customers WHERE code = 'E1'"));
        var acme = (await _app.GetJsonAsync("/api/v1/links?entity=Customer&connection=crm&recordId=1")).EnumerateArray().Single().GetProperty("entityId").GetString();
        Assert.Equal(HttpStatusCode.Conflict, (await Http.PostAsync($"/api/v1/sync/Customer/{acme}/revive", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/v1/sync/Customer/revive?connection=erp&recordId=nope", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/api/v1/sync/Customer/revive", null)).StatusCode);
        Assert.Contains("sync.revive", (await _app.GetJsonAsync("/api/v1/audit")).EnumerateArray().Select(a => a.GetProperty("action").GetString()));

        // The other one's record is restored in the ERP, renamed: it revives its customer, and the CRM gets the name.
        Sql("erp", "INSERT INTO customers VALUES ('E-Beta', 'Beta Co', 'B', NULL, '2030-01-01 00:00:00', 99)");
        await LoadAsync();
        await QuietAsync();
        Assert.Equal("Beta Co", Rows("crm", "SELECT name FROM customers WHERE id = '2'"));
        Assert.Equal(2, (await _app.GetJsonAsync("/api/v1/entities/Customer")).GetProperty("items").GetArrayLength());
        Assert.Matches("isthmus_sync_records_total\\{[^}]*outcome=\"revived\"", await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
    }

    [Fact]
    public async Task Unknown_entities_connections_and_bad_bodies_are_refused_with_what_to_send()
    {
        var noEntity = await Http.GetAsync("/api/v1/entities/Order");
        Assert.Equal(HttpStatusCode.NotFound, noEntity.StatusCode);
        Assert.Contains("Entities: Customer", await noEntity.Content.ReadAsStringAsync());

        var noConnection = await Http.PostAsync("/api/v1/sync/Customer/load?connection=hr", null);
        Assert.Equal(HttpStatusCode.BadRequest, noConnection.StatusCode);
        Assert.Contains("It is read from: crm, erp", await noConnection.Content.ReadAsStringAsync());

        var noRecord = await Http.PutAsJsonAsync("/api/v1/links", new { entity = "Customer", connection = "crm", recordId = "404" });
        Assert.True(noRecord.StatusCode == HttpStatusCode.NotFound, await noRecord.Content.ReadAsStringAsync());

        var noChoice = await Http.PostAsJsonAsync("/api/v1/conflicts/1/resolve", new { });
        Assert.Equal(HttpStatusCode.BadRequest, noChoice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/v1/sync/jobs/99")).StatusCode);
    }

    [Fact]
    public async Task Refused_by_hand_operations_answer_by_what_was_refused_not_found_conflict_or_invalid()
    {
        Sql("crm", "INSERT INTO customers VALUES ('1', 'ACME Ltd', 'A级', NULL, '2024-01-01 00:00:00')");

        async Task Refused(HttpResponseMessage response, HttpStatusCode status, string reason, string detail)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, body);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal(reason, problem.GetProperty("reason").GetString());
            Assert.StartsWith(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await Refused(await Http.PutAsJsonAsync("/api/v1/links", new { entity = "Customer", entityId = "nope", connection = "crm", recordId = "1" }),
            HttpStatusCode.NotFound, "link_refused", "There is no Customer nope.");
        await Refused(await Http.PutAsJsonAsync("/api/v1/links", new { entity = "Customer", connection = "hr", recordId = "1" }),
            HttpStatusCode.BadRequest, "invalid_link", "Customer is not mapped to connection 'hr'");
        await Refused(await Http.DeleteAsync("/api/v1/links/Customer/nope/erp"), HttpStatusCode.NotFound, "not_found", "Customer nope has no link to erp.");
        await Refused(await Http.PostAsJsonAsync("/api/v1/conflicts/999/resolve", new { source = "erp" }), HttpStatusCode.NotFound, "not_found", "No conflict with id 999.");
        await Refused(await Http.PostAsync("/api/v1/sync/errors/999/retry", null), HttpStatusCode.NotFound, "not_found", "No sync error with id 999.");
        await Refused(await Http.PostAsync("/api/v1/sync/Customer/nope/revive", null), HttpStatusCode.NotFound, "not_found", "There is no Customer nope.");
        await Refused(await Http.PostAsync("/api/v1/sync/Customer/revive?connection=hr&recordId=1", null),
            HttpStatusCode.BadRequest, "invalid_revive", "Customer is not mapped to connection 'hr'");
    }

    /// <summary>Runs the <c>isthmus</c> executable against this server; returns what it printed (it must exit 0).</summary>
    private async Task<string> CliAsync(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "isthmus.dll"), .. args,
            "--url", Http.BaseAddress!.ToString(), "--api-key", IsthmusApplication.AdminKey])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["COLUMNS"] = "250"; // tables wide enough not to wrap values
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var text = await output + await error;
        Assert.True(process.ExitCode == 0, $"isthmus {string.Join(' ', args)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    private async Task LoadAsync()
    {
        var started = await Http.PostAsync("/api/v1/sync/Customer/load", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        foreach (var job in (await started.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray())
        {
            await Until(async () => (await _app.GetJsonAsync($"/api/v1/sync/jobs/{job.GetProperty("id").GetInt64()}")).GetProperty("status").GetString() != "running");
            var ended = await _app.GetJsonAsync($"/api/v1/sync/jobs/{job.GetProperty("id").GetInt64()}");
            Assert.True(ended.GetProperty("status").GetString() == "done", ended.ToString());
        }
    }

    /// <summary>Waits until no sync write is queued.</summary>
    private Task QuietAsync() => Until(async () =>
        !(await _app.GetJsonAsync("/api/v1/sync/status")).GetProperty("counts").TryGetProperty("writes.pending", out var n) || n.GetInt64() == 0);

    private async Task<JsonElement> ReconcileAsync(bool dryRun)
    {
        var response = await Http.PostAsync($"/api/v1/reconcile/Customer?dryRun={(dryRun ? "true" : "false")}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the sync did not settle within 30 s");
            await Task.Delay(50);
        }
    }

    private void Sql(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_databases, db + ".db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Rows(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_databases, db + ".db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() switch { long n => (int)n, var x => x };
    }
}

/// <summary>A relative SQLite file is the one next to the configuration, whatever the working folder.</summary>
public sealed class SqlFileLocationTests
{
    [Fact]
    public async Task A_relative_data_source_is_resolved_against_the_configuration_folder()
    {
        var folder = Directory.CreateTempSubdirectory("isthmus-sql-location-").FullName;
        try
        {
            var config = Path.Combine(folder, "isthmus.yaml");
            await File.WriteAllTextAsync(config, """
                connections:
                  erp:
                    kind: sql
                    provider: sqlite
                    connectionString: "Data Source=erp.db"
                    tables: { customers: { id: code, cursor: updated_at, lag: 0s } }
                """);
            await using (var db = new SqliteConnection($"Data Source={Path.Combine(folder, "erp.db")};Pooling=False"))
            {
                db.Open();
                await using var create = db.CreateCommand();
                create.CommandText = "CREATE TABLE customers (code TEXT PRIMARY KEY, updated_at TEXT); INSERT INTO customers VALUES ('E1', '2024-01-01')";
                create.ExecuteNonQuery();
            }

            Assert.NotEqual(Path.GetFullPath(folder), Path.GetFullPath(Environment.CurrentDirectory));
            var (_, connectors, errors) = Isthmus.Hosting.IsthmusHost.Load(config, new Isthmus.Connectors.ConnectorContext(TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
            Assert.True(connectors is not null, string.Join("\n", errors));
            await using (connectors)
            {
                var erp = Assert.IsAssignableFrom<Isthmus.Records.IRecordConnector>(connectors.All["erp"]);
                var page = await erp.ReadChangesAsync("customers", null, 10, TestContext.Current.CancellationToken);
                Assert.Equal(["E1"], page.Records.Select(r => r.Id));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
