using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>The change feed of an <c>http</c> record connection, against the record-system emulator.</summary>
public sealed class HttpRecordReadTests
{
    private static readonly DateTimeOffset Instant = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Styles => new()
    {
        "paging: cursor, pageSize: 40",
        "paging: page, pageSize: 40",
        "paging: offset, pageSize: 40",
        "paging: none, query: { limit: 10000, includeDeleted: true }",
    };

    [Theory]
    [MemberData(nameof(Styles))]
    public async Task ReadChanges_EachPagingStyle_ReturnsEveryRecordOnceInChangeOrder(string paging)
    {
        await using var system = await RecordSystem.StartAsync($"  customers: {{ path: /api/customers, {paging} }}");
        system.Seed(250);

        var (records, cursor, pages) = await system.ReadAllAsync(null, limit: 33);

        Assert.Equal(Ids(system.Emulator.Records("customers")), records.Select(r => r.Id));
        Assert.Equal(8, pages);
        Assert.NotNull(cursor);
        Assert.All(records, r => Assert.Equal("1", r.Version));
        Assert.Equal("c1", records[0].Fields["name"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Styles))]
    public async Task ReadChanges_ManyRecordsShareOneUpdatedAt_NoGapNoRepeatAcrossPages(string paging)
    {
        await using var system = await RecordSystem.StartAsync($"  customers: {{ path: /api/customers, {paging} }}");
        system.Emulator.FreezeClock(Instant);
        system.Seed(5);
        system.Emulator.FreezeClock(Instant.AddMilliseconds(1));
        system.Seed(120);
        system.Emulator.FreezeClock(Instant.AddMilliseconds(2));
        system.Seed(3);

        // Pages of 7 cut the 120 records of one instant many times over.
        var (records, _, _) = await system.ReadAllAsync(null, limit: 7);

        Assert.Equal(Ids(system.Emulator.Records("customers")), records.Select(r => r.Id));
        Assert.Equal(128, records.Select(r => r.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Styles))]
    public async Task ReadChanges_RecordsChangedBetweenPages_AreNeitherMissedNorRepeatedStale(string paging)
    {
        await using var system = await RecordSystem.StartAsync($"  customers: {{ path: /api/customers, {paging} }}");
        system.Emulator.FreezeClock(Instant);
        system.Seed(20);

        var first = await system.Connector.ReadChangesAsync("customers", null, 5, RecordSystem.Ct);
        system.Emulator.FreezeClock(Instant.AddSeconds(1));
        system.Emulator.Change("customers", [new JsonObject { ["id"] = "2", ["tier"] = "A" }, new JsonObject { ["id"] = "10", ["tier"] = "A" }]);
        var (rest, _, _) = await system.ReadAllAsync(first.Cursor, limit: 5);

        Assert.Equal(["1", "2", "3", "4", "5"], first.Records.Select(r => r.Id));
        string[] expected = ["6", "7", "8", "9", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "2", "10"];
        Assert.Equal(expected, rest.Select(r => r.Id));
        Assert.All(rest.TakeLast(2), r => Assert.Equal(("A", "2"), (r.Fields["tier"]!.GetValue<string>(), r.Version)));
    }

    [Fact]
    public async Task ReadChanges_NewRecordsAtTheCursorsOwnInstant_AreReturnedOnce()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Emulator.FreezeClock(Instant);
        system.Seed(10);
        var (first, cursor, _) = await system.ReadAllAsync(null, limit: 4);

        var added = system.Seed(5);
        var (second, cursor2, _) = await system.ReadAllAsync(cursor, limit: 4);
        var (third, cursor3, _) = await system.ReadAllAsync(cursor2, limit: 4);

        Assert.Equal(10, first.Count);
        Assert.Equal(Ids(added), second.Select(r => r.Id));
        Assert.Empty(third);
        Assert.Equal(cursor2, cursor3);
    }

    [Fact]
    public async Task ReadChanges_AfterChanges_ReturnsOnlyTheChangesWithTombstones()
    {
        await using var system = await RecordSystem.StartAsync();
        var seeded = system.Seed(20);
        var (_, cursor, _) = await system.ReadAllAsync(null, limit: 50);

        system.Emulator.Change("customers", [new JsonObject { ["id"] = "7", ["tier"] = "A" }]);
        await system.Connector.WriteAsync("customers", RecordSystem.Write("3", new JsonObject { ["tier"] = "C" }), RecordSystem.Ct);
        await system.Connector.DeleteAsync("customers", "12", null, RecordSystem.Ct);
        var created = await system.Connector.WriteAsync("customers", RecordSystem.Write(null, new JsonObject { ["name"] = "new" }), RecordSystem.Ct);
        var page = await system.Connector.ReadChangesAsync("customers", cursor, 100, RecordSystem.Ct);

        Assert.Equal(["7", "3", "12", created.Id], page.Records.Select(r => r.Id));
        Assert.False(page.More);
        Assert.Equal("A", page.Records[0].Fields["tier"]!.GetValue<string>());
        Assert.Equal("2", page.Records[1].Version);
        Assert.True(page.Records[2].Deleted);
        Assert.False(page.Records[3].Deleted);
        Assert.Equal(20, seeded.Count);
        Assert.NotNull(page.Records[0].UpdatedAt);
    }

    [Fact]
    public async Task ReadChanges_EmptySystem_HasNoCursorYet_ThenFindsTheFirstRecord()
    {
        await using var system = await RecordSystem.StartAsync();

        var empty = await system.Connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct);
        system.Seed(1);
        var first = await system.Connector.ReadChangesAsync("customers", empty.Cursor, 10, RecordSystem.Ct);

        Assert.Empty(empty.Records);
        Assert.Null(empty.Cursor);
        Assert.False(empty.More);
        Assert.Equal("1", Assert.Single(first.Records).Id);
    }

    [Fact]
    public async Task ReadChanges_PageLimitReached_SaysMore()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(10);

        var page = await system.Connector.ReadChangesAsync("customers", null, 10, RecordSystem.Ct);
        var rest = await system.Connector.ReadChangesAsync("customers", page.Cursor, 10, RecordSystem.Ct);
        var partial = await system.Connector.ReadChangesAsync("customers", null, 4, RecordSystem.Ct);

        Assert.Equal(10, page.Records.Count);
        Assert.Empty(rest.Records);
        Assert.False(rest.More);
        Assert.True(partial.More);
    }

    [Fact]
    public async Task ReadChanges_ForeignCursor_IsRejectedWithAClearMessage()
    {
        await using var system = await RecordSystem.StartAsync();

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () => await system.Connector.ReadChangesAsync("customers", "42", 10, RecordSystem.Ct));
        var unknown = await Assert.ThrowsAsync<ConnectorException>(async () => await system.Connector.ReadChangesAsync("orders", null, 10, RecordSystem.Ct));

        Assert.Equal(FailureKind.Rejected, ex.Kind);
        Assert.Contains("was not made by an http record connection", ex.Message, StringComparison.Ordinal);
        Assert.Equal("connection 'oa' has no record type 'orders'; it has: customers", unknown.Message);
    }

    [Fact]
    public async Task Get_ReturnsTheRecordWithItsVersion_OrNullWhenMissing()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(2);

        var record = await system.Connector.GetAsync("customers", "2", RecordSystem.Ct);
        var missing = await system.Connector.GetAsync("customers", "99", RecordSystem.Ct);

        Assert.Equal("2", record!.Id);
        Assert.Equal("1", record.Version);
        Assert.Equal("c2", record.Fields["name"]!.GetValue<string>());
        Assert.Null(missing);
    }

    [Fact]
    public async Task Emulator_PrefixedIds_AreUsedAndRoundTrip()
    {
        await using var system = await RecordSystem.StartAsync(options: new RecordsEmulatorOptions { Types = ["customers:C-"] });
        system.Seed(2);

        var (records, _, _) = await system.ReadAllAsync(null, 10);
        var got = await system.Connector.GetAsync("customers", "C-0002", RecordSystem.Ct);

        Assert.Equal(["C-0001", "C-0002"], records.Select(r => r.Id));
        Assert.Equal("c2", got!.Fields["name"]!.GetValue<string>());
    }

    private static List<string> Ids(IEnumerable<JsonObject> records) => [.. records.Select(r => r["id"]!.GetValue<string>())];
}
