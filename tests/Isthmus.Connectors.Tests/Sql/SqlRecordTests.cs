using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Sql;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Records;

namespace Isthmus.Connectors.Tests.Sql;

/// <summary>
/// The behaviour a sync engine relies on, run against each engine: feeds without gaps or repeats, merge writes,
/// idempotent creates, version conflicts, deletes in the feed, faithful types, verbatim strings, precise errors.
/// </summary>
public abstract class SqlRecordTests : IAsyncLifetime
{
    private int _tables;
    private readonly List<IRecordConnector> _connectors = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary><c>postgresql</c> or <c>sqlite</c>.</summary>
    protected abstract string Provider { get; }

    protected abstract string ConnectionString { get; }

    /// <summary>Column types in this engine's DDL.</summary>
    protected abstract string GeneratedId { get; }

    protected abstract string Timestamp { get; }

    protected abstract string DecimalType { get; }

    protected abstract string Boolean { get; }

    /// <summary>A decimal this engine keeps digit for digit.</summary>
    protected abstract string PreciseDecimal { get; }

    /// <summary>The schema the test's tables are in, for schema-qualified names.</summary>
    protected abstract string SchemaName { get; }

    protected abstract Task ExecuteAsync(string sql);

    protected abstract Task<long> CountAsync(string sql);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var c in _connectors)
        {
            await c.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh table: id, name (not null), city, amount (≥ 0), version, updated_at, is_deleted.</summary>
    private async Task<string> CustomersAsync(string idType = "")
    {
        var table = $"customer_{Interlocked.Increment(ref _tables)}";
        await ExecuteAsync($"""
            CREATE TABLE {table} (
              id {(idType.Length > 0 ? idType + " PRIMARY KEY" : GeneratedId)},
              name text NOT NULL,
              city text,
              amount integer CHECK (amount >= 0),
              version integer,
              updated_at {Timestamp},
              is_deleted {Boolean} NOT NULL DEFAULT FALSE)
            """);
        return table;
    }

    private IRecordConnector Connect(string table, string extra = "", string recordType = "customers", string lag = "0s")
    {
        var connector = Connections.CreateValid<IRecordConnector>(new SqlConnectorFactory(), $"""
            kind: sql
            provider: {Provider}
            connectionString: "{ConnectionString}"
            tables:
              {recordType}:
                table: {table}
                id: id
                cursor: updated_at
                lag: {lag}
            {extra}
            """);
        _connectors.Add(connector);
        return connector;
    }

    private static string Ts(int second) => $"'2024-01-01T00:00:{second:00}.000Z'";

    private static RecordWrite Write(string? id, JsonObject fields, string? expected = null, string? key = null) =>
        new(id, fields, expected, key ?? Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ReadChanges_TiesAcrossPages_EveryRowOnceInOrder()
    {
        var t = await CustomersAsync("integer");
        // Five rows share one timestamp; pages of two end inside that group.
        foreach (var (id, second) in new[] { (7, 1), (3, 2), (9, 2), (1, 2), (5, 2), (8, 2), (2, 3) })
        {
            await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES ({id}, 'c{id}', {Ts(second)})");
        }

        var sql = Connect(t);
        var seen = new List<string>();
        string? cursor = null;
        RecordPage page;
        do
        {
            page = await sql.ReadChangesAsync("customers", cursor, 2, Ct);
            seen.AddRange(page.Records.Select(r => r.Id));
            cursor = page.Cursor;
        }
        while (page.More);

        Assert.Equal(["7", "1", "3", "5", "8", "9", "2"], seen);
        var after = await sql.ReadChangesAsync("customers", cursor, 2, Ct);
        Assert.Empty(after.Records);
        Assert.False(after.More);
        Assert.Equal(cursor, after.Cursor);
    }

    [Fact]
    public async Task ReadChanges_FromCursor_ReturnsOnlyLaterChanges()
    {
        var t = await CustomersAsync("integer");
        await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES (1, 'a', {Ts(1)}), (2, 'b', {Ts(2)}), (3, 'c', NULL)");
        var sql = Connect(t);

        var full = await sql.ReadChangesAsync("customers", null, 100, Ct);
        Assert.Equal(["3", "1", "2"], full.Records.Select(r => r.Id)); // an empty cursor column is read first, once
        Assert.False(full.More);

        var written = await sql.WriteAsync("customers", Write("1", new JsonObject { ["city"] = "Hangzhou" }), Ct);
        await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES (4, 'd', {Ts(3)})");
        var next = await sql.ReadChangesAsync("customers", full.Cursor, 100, Ct);

        Assert.Equal(["4", "1"], next.Records.Select(r => r.Id)); // the touched row is now the latest change
        Assert.Equal("Hangzhou", (string?)next.Records[1].Fields["city"]);
        Assert.NotNull(written.UpdatedAt);
        Assert.True(written.UpdatedAt > DateTimeOffset.Parse("2024-01-02T00:00:00Z", CultureInfo.InvariantCulture));
        Assert.Empty((await sql.ReadChangesAsync("customers", next.Cursor, 100, Ct)).Records);
    }

    [Fact]
    public async Task Write_ExistingRow_ChangesOnlyGivenColumnsAndBumpsVersion()
    {
        var t = await CustomersAsync("text");
        await ExecuteAsync($"INSERT INTO {t} (id, name, city, amount, version, updated_at) VALUES ('C-1', 'Acme', 'Beijing', 5, 3, {Ts(1)})");
        var sql = Connect(t, "    version: version\n    deleted: is_deleted");

        var stored = await sql.WriteAsync("customers", Write("C-1", new JsonObject { ["city"] = "Shanghai" }, expected: "3"), Ct);

        Assert.Equal("C-1", stored.Id);
        Assert.Equal("4", stored.Version);
        Assert.Equal("Acme", (string?)stored.Fields["name"]);
        Assert.Equal("Shanghai", (string?)stored.Fields["city"]);
        Assert.Equal("5", stored.Fields["amount"]!.ToJsonString());
        var read = await sql.GetAsync("customers", "C-1", Ct);
        Assert.Equal(stored.Fields.ToJsonString(), read!.Fields.ToJsonString());

        // A given id that does not exist yet is created with it (an upsert).
        var created = await sql.WriteAsync("customers", Write("C-2", new JsonObject { ["name"] = "Beta" }), Ct);
        Assert.Equal("1", created.Version);
        Assert.Equal("Beta", (string?)(await sql.GetAsync("customers", "C-2", Ct))!.Fields["name"]);
    }

    [Fact]
    public async Task Write_GeneratedIdRetriedWithSameKey_CreatesOneRow()
    {
        var t = await CustomersAsync();
        var sql = Connect(t);

        var first = await sql.WriteAsync("customers", Write(null, new JsonObject { ["name"] = "Gamma" }, key: "create-1"), Ct);
        var again = await sql.WriteAsync("customers", Write(null, new JsonObject { ["name"] = "Gamma" }, key: "create-1"), Ct);
        var other = await sql.WriteAsync("customers", Write(null, new JsonObject { ["name"] = "Gamma" }, key: "create-2"), Ct);

        Assert.NotEqual("", first.Id);
        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM {t}"));

        // A retried update is not applied again over a change made since.
        await sql.WriteAsync("customers", Write(first.Id, new JsonObject { ["city"] = "Xi'an" }, key: "update-1"), Ct);
        await sql.WriteAsync("customers", Write(first.Id, new JsonObject { ["city"] = "Wuhan" }), Ct);
        var retried = await sql.WriteAsync("customers", Write(first.Id, new JsonObject { ["city"] = "Xi'an" }, key: "update-1"), Ct);
        Assert.Equal("Wuhan", (string?)retried.Fields["city"]);
    }

    [Fact]
    public async Task Write_StaleVersion_ThrowsConflictWithCurrentRecord()
    {
        var t = await CustomersAsync("integer");
        await ExecuteAsync($"INSERT INTO {t} (id, name, version, updated_at) VALUES (1, 'Acme', 7, {Ts(1)})");
        var sql = Connect(t, "    version: version");

        var conflict = await Assert.ThrowsAsync<RecordConflictException>(async () =>
            await sql.WriteAsync("customers", Write("1", new JsonObject { ["name"] = "Changed" }, expected: "6"), Ct));

        Assert.Equal("7", conflict.Current!.Version);
        Assert.Equal("Acme", (string?)conflict.Current.Fields["name"]);
        Assert.Equal("Acme", (string?)(await sql.GetAsync("customers", "1", Ct))!.Fields["name"]);
        await Assert.ThrowsAsync<RecordConflictException>(async () => await sql.DeleteAsync("customers", "1", "6", Ct));
    }

    [Fact]
    public async Task Delete_SoftFlag_ShowsTombstoneInFeed()
    {
        var t = await CustomersAsync("integer");
        await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES (1, 'a', {Ts(1)}), (2, 'b', {Ts(2)})");
        var sql = Connect(t, "    deleted: is_deleted");
        var start = await sql.ReadChangesAsync("customers", null, 10, Ct);

        await sql.DeleteAsync("customers", "1", null, Ct);
        await sql.DeleteAsync("customers", "1", null, Ct); // already deleted: fine

        var page = await sql.ReadChangesAsync("customers", start.Cursor, 10, Ct);
        var tombstone = Assert.Single(page.Records);
        Assert.Equal("1", tombstone.Id);
        Assert.True(tombstone.Deleted);
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM {t}"));
    }

    [Fact]
    public async Task Delete_WithoutFlag_RemovesRow()
    {
        var t = await CustomersAsync("integer");
        await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES (1, 'a', {Ts(1)}), (2, 'b', {Ts(2)})");
        var sql = Connect(t);

        await sql.DeleteAsync("customers", "1", null, Ct);
        await sql.DeleteAsync("customers", "1", null, Ct); // already gone: fine

        Assert.Null(await sql.GetAsync("customers", "1", Ct));
        Assert.Equal(["2"], (await sql.ReadChangesAsync("customers", null, 10, Ct)).Records.Select(r => r.Id));
        Assert.Null(await sql.GetAsync("customers", "not-a-number", Ct));
    }

    [Fact]
    public async Task Write_Types_RoundTripFaithfully()
    {
        var t = $"typed_{Interlocked.Increment(ref _tables)}";
        await ExecuteAsync($"""
            CREATE TABLE {t} (id integer PRIMARY KEY, price {DecimalType}, due date, signed_at {Timestamp}, active {Boolean},
              note text, qty bigint, ratio real, updated_at {Timestamp})
            """);
        var sql = Connect(t);

        var fields = new JsonObject
        {
            ["price"] = JsonNode.Parse(PreciseDecimal),
            ["due"] = "2024-02-29",
            ["signed_at"] = "2024-03-01T18:20:30.123+08:00",
            ["active"] = true,
            ["note"] = null,
            ["qty"] = 9007199254740993,
            ["ratio"] = 0.1,
        };
        var stored = await sql.WriteAsync("customers", Write("1", fields), Ct);
        var read = (await sql.GetAsync("customers", "1", Ct))!;

        foreach (var record in new[] { stored, read })
        {
            Assert.Equal(PreciseDecimal, record.Fields["price"]!.ToJsonString());
            Assert.Equal("2024-02-29", (string?)record.Fields["due"]);
            Assert.Equal(DateTimeOffset.Parse("2024-03-01T10:20:30.123Z", CultureInfo.InvariantCulture),
                DateTimeOffset.Parse((string)record.Fields["signed_at"]!, CultureInfo.InvariantCulture));
            Assert.True((bool?)record.Fields["active"]);
            Assert.True(record.Fields.ContainsKey("note"));
            Assert.Null(record.Fields["note"]);
            Assert.Equal("9007199254740993", record.Fields["qty"]!.ToJsonString());
            Assert.Equal("0.1", record.Fields["ratio"]!.ToJsonString());
        }

        var off = await sql.WriteAsync("customers", Write("1", new JsonObject { ["active"] = false, ["price"] = 0 }), Ct);
        Assert.False((bool?)off.Fields["active"]);
        Assert.Equal("0", off.Fields["price"]!.ToJsonString());
    }

    [Fact]
    public async Task Write_ValuesThatLookLikeSql_AreStoredVerbatim()
    {
        var t = await CustomersAsync("text");
        var sql = Connect(t);
        string[] hostile = ["Robert'); DROP TABLE " + t + "; --", "x\" OR \"1\"=\"1", "'; DELETE FROM " + t + " WHERE '1'='1", "$1 @p0 ?", "名字'\\"];

        for (var i = 0; i < hostile.Length; i++)
        {
            await sql.WriteAsync("customers", Write(hostile[i], new JsonObject { ["name"] = hostile[i], ["city"] = hostile[(i + 1) % hostile.Length] }), Ct);
        }

        for (var i = 0; i < hostile.Length; i++)
        {
            var read = await sql.GetAsync("customers", hostile[i], Ct);
            Assert.Equal(hostile[i], (string?)read!.Fields["name"]);
            Assert.Equal(hostile[(i + 1) % hostile.Length], (string?)read.Fields["city"]);
        }

        Assert.Equal(hostile.Length, await CountAsync($"SELECT count(*) FROM {t}"));
    }

    [Fact]
    public async Task Read_UnknownTableOrColumn_IsRejectedNamingIt()
    {
        var t = await CustomersAsync("integer");

        var noTable = await Assert.ThrowsAsync<ConnectorException>(async () =>
            await Connect("no_such_table").ReadChangesAsync("customers", null, 10, Ct));
        Assert.Equal(FailureKind.Rejected, noTable.Kind);
        Assert.Contains("table 'no_such_table' (tables.customers) does not exist", noTable.Message, StringComparison.Ordinal);

        var sql = Connections.CreateValid<IRecordConnector>(new SqlConnectorFactory(), $"""
            kind: sql
            provider: {Provider}
            connectionString: "{ConnectionString}"
            tables:
              customers:
                table: {t}
                id: id
                cursor: modified
            """);
        _connectors.Add(sql);
        var noColumn = await Assert.ThrowsAsync<ConnectorException>(async () => await sql.GetAsync("customers", "1", Ct));
        Assert.Equal(FailureKind.Rejected, noColumn.Kind);
        Assert.Contains($"column 'modified' (tables.customers.cursor) does not exist in table '{t}'", noColumn.Message, StringComparison.Ordinal);
        Assert.Contains("updated_at", noColumn.Message, StringComparison.Ordinal);

        var unknownField = await Assert.ThrowsAsync<ConnectorException>(async () =>
            await Connect(t).WriteAsync("customers", Write("1", new JsonObject { ["nmae"] = "x" }), Ct));
        Assert.Contains("has no column 'nmae'", unknownField.Message, StringComparison.Ordinal);

        var unknownType = await Assert.ThrowsAsync<ConnectorException>(async () => await Connect(t).GetAsync("orders", "1", Ct));
        Assert.Contains("record type 'orders' is not configured", unknownType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteBatch_OneBadRow_OthersAreCommitted()
    {
        var t = await CustomersAsync("integer");
        var sql = Connect(t);

        var results = await sql.WriteBatchAsync("customers", [
            Write("1", new JsonObject { ["name"] = "ok-1", ["amount"] = 1 }),
            Write("2", new JsonObject { ["name"] = "bad", ["amount"] = -5 }),      // the database refuses it (CHECK)
            Write("3", new JsonObject { ["name"] = null }),                         // the database refuses it (NOT NULL)
            Write("4", new JsonObject { ["name"] = "bad", ["amount"] = "lots" }),   // refused before it is sent
            Write("5", new JsonObject { ["name"] = "ok-5" }),
        ], Ct);

        Assert.Equal(5, results.Count);
        Assert.Equal("ok-1", (string?)results[0].Record!.Fields["name"]);
        Assert.Equal("ok-5", (string?)results[4].Record!.Fields["name"]);
        foreach (var (i, text) in new[] { (1, "-5"), (2, "name"), (3, "amount") })
        {
            var error = Assert.IsType<ConnectorException>(results[i].Error);
            Assert.Equal(FailureKind.Rejected, error.Kind);
            Assert.Contains(text, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("\"lots\"", results[3].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM {t}"));
    }

    /// <summary>A connection string for a database that cannot be reached.</summary>
    protected abstract string UnreachableConnectionString { get; }

    [Fact]
    public async Task Read_DatabaseUnreachable_IsTransient()
    {
        await ExecuteAsync("SELECT 1"); // skips with the reason when this engine is not available here
        var sql = Connections.CreateValid<IRecordConnector>(new SqlConnectorFactory(), $"""
            kind: sql
            provider: {Provider}
            connectionString: "{UnreachableConnectionString}"
            tables:
              customers:
                id: id
                cursor: updated_at
            """);
        _connectors.Add(sql);

        var error = await Assert.ThrowsAsync<ConnectorException>(async () => await sql.ReadChangesAsync("customers", null, 10, Ct));
        Assert.Equal(FailureKind.Transient, error.Kind);
    }

    [Fact]
    public async Task ReadChanges_CursorWithinLag_IsLeftForALaterRead()
    {
        var t = await CustomersAsync("integer");
        // A row stamped in the future stands for one committed "just now": the lag holds it back; older rows pass.
        await ExecuteAsync($"INSERT INTO {t} (id, name, updated_at) VALUES (1, 'a', {Ts(1)}), (2, 'b', '2999-01-01T00:00:00.000Z')");

        var page = await Connect(t, lag: "1s").ReadChangesAsync("customers", null, 10, Ct);

        Assert.Equal(["1"], page.Records.Select(r => r.Id));
        Assert.False(page.More);
        Assert.Equal(["1", "2"], (await Connect(t, lag: "0s").ReadChangesAsync("customers", null, 10, Ct)).Records.Select(r => r.Id));
    }

    [Fact]
    public async Task Write_SameKeyAtOnce_CreatesOneRow()
    {
        var t = await CustomersAsync();
        var sql = Connect(t);

        var both = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            sql.WriteAsync("customers", Write(null, new JsonObject { ["name"] = "Same" }, key: "create-once"), Ct).AsTask()));

        Assert.Single(both.Select(r => r.Id).Distinct());
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM {t}"));
    }

    [Fact]
    public async Task Write_FromSeveralNodesAtOnce_EachCreatesItsRowAndTheLogOnce()
    {
        // Each node is its own connector on a log table nobody made yet, so their CREATE TABLE IF NOT EXISTS race.
        for (var round = 0; round < 4; round++)
        {
            var t = await CustomersAsync();
            var log = $"idempotency_{round}_{Guid.NewGuid():N}";
            var nodes = Enumerable.Range(0, 6).Select(_ => Connect(t, extra: $"idempotencyTable: {log}")).ToList();

            var written = await Task.WhenAll(nodes.Select((node, i) =>
                node.WriteAsync("customers", Write(null, new JsonObject { ["name"] = $"n{i}" }, key: $"create-{i}"), Ct).AsTask()));

            Assert.Equal(6, written.Select(r => r.Id).Distinct().Count());
            Assert.Equal(6, await CountAsync($"SELECT count(*) FROM {t}"));
            Assert.Equal(6, await CountAsync($"SELECT count(*) FROM {log}"));
        }
    }

    [Fact]
    public async Task ReadChanges_NumberCursorTouchedAndQualifiedTable_FollowsWrites()
    {
        var t = $"numbered_{Interlocked.Increment(ref _tables)}";
        await ExecuteAsync($"CREATE TABLE {t} (code text PRIMARY KEY, name text, seq bigint, deleted_at {Timestamp})");
        var sql = Connections.CreateValid<IRecordConnector>(new SqlConnectorFactory(), $"""
            kind: sql
            provider: {Provider}
            connectionString: "{ConnectionString}"
            idempotencyTable: none
            tables:
              items:
                table: {SchemaName}.{t.ToUpperInvariant()}
                id: CODE
                cursor: seq
                deleted: deleted_at
                touch: true
            """);
        _connectors.Add(sql);

        var b = await sql.WriteAsync("items", Write("b", new JsonObject { ["name"] = "second" }), Ct);
        var a = await sql.WriteAsync("items", Write("a", new JsonObject { ["name"] = "first" }), Ct);
        Assert.Equal("1", b.Version); // without a version column the cursor is the version
        Assert.Equal("2", a.Version);
        Assert.Null(b.UpdatedAt);

        var page = await sql.ReadChangesAsync("items", null, 10, Ct);
        Assert.Equal(["b", "a"], page.Records.Select(r => r.Id));

        await Assert.ThrowsAsync<RecordConflictException>(async () =>
            await sql.WriteAsync("items", Write("b", new JsonObject { ["name"] = "stale" }, expected: "0"), Ct));
        await sql.DeleteAsync("items", "b", "1", Ct);
        var tombstone = Assert.Single((await sql.ReadChangesAsync("items", page.Cursor, 10, Ct)).Records);
        Assert.Equal("b", tombstone.Id);
        Assert.True(tombstone.Deleted);
        Assert.Equal("3", tombstone.Version);
        Assert.NotNull(tombstone.Fields["deleted_at"]);
    }
}
