using System.Text.Json.Nodes;
using Isthmus.Emulators.Records;
using Isthmus.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>Writes through an <c>http</c> record connection: idempotent creates, merges, versions, deletes.</summary>
public sealed class HttpRecordWriteTests
{
    [Fact]
    public async Task Write_CreateSentTwiceWithOneKey_CreatesOneRecord()
    {
        await using var system = await RecordSystem.StartAsync();
        var write = RecordSystem.Write(null, new JsonObject { ["name"] = "Acme" }, key: "create-acme");

        var first = await system.Connector.WriteAsync("customers", write, RecordSystem.Ct);
        var again = await system.Connector.WriteAsync("customers", write, RecordSystem.Ct);

        Assert.Equal(first.Id, again.Id);
        Assert.Equal("1", again.Version);
        Assert.Single(system.Emulator.Records("customers"));
        Assert.Equal(1, system.Emulator.Stats().Writes["customers"]);
    }

    [Fact]
    public async Task Write_Update_MergesAndKeepsOtherFields()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(1);

        var written = await system.Connector.WriteAsync("customers", RecordSystem.Write("1", new JsonObject { ["tier"] = "A" }, expectedVersion: "1"), RecordSystem.Ct);

        Assert.Equal("2", written.Version);
        Assert.Equal("A", written.Fields["tier"]!.GetValue<string>());
        Assert.Equal("c1", written.Fields["name"]!.GetValue<string>());
        Assert.Equal("c1", system.Emulator.Record("customers", "1")!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("patch")]
    [InlineData("put")]
    public async Task Write_StaleExpectedVersion_ThrowsConflictWithTheCurrentRecord(string update)
    {
        await using var system = await RecordSystem.StartAsync($"  customers: {{ path: /api/customers, update: {update} }}");
        system.Seed(1);
        system.Emulator.Change("customers", [new JsonObject { ["id"] = "1", ["tier"] = "A" }]);

        var ex = await Assert.ThrowsAsync<RecordConflictException>(async () =>
            await system.Connector.WriteAsync("customers", RecordSystem.Write("1", new JsonObject { ["tier"] = "C" }, expectedVersion: "1"), RecordSystem.Ct));

        Assert.Equal("2", ex.Current!.Version);
        Assert.Equal("A", ex.Current.Fields["tier"]!.GetValue<string>());
        Assert.Contains("expected version 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal("A", system.Emulator.Record("customers", "1")!["tier"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("patch")]
    [InlineData("put")]
    public async Task Write_UnknownIdWithoutExpectedVersion_CreatesItWithThatId(string update)
    {
        await using var system = await RecordSystem.StartAsync($"  customers: {{ path: /api/customers, update: {update} }}");

        var created = await system.Connector.WriteAsync("customers", RecordSystem.Write("ext-9", new JsonObject { ["name"] = "Nine" }), RecordSystem.Ct);

        Assert.Equal("ext-9", created.Id);
        Assert.Equal("1", created.Version);
        Assert.Equal("Nine", system.Emulator.Record("customers", "ext-9")!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Write_ExpectedVersionOfADeletedRecord_IsAConflict()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(1);
        system.Emulator.Delete("customers", "1");

        var ex = await Assert.ThrowsAsync<RecordConflictException>(async () =>
            await system.Connector.WriteAsync("customers", RecordSystem.Write("1", new JsonObject { ["tier"] = "A" }, expectedVersion: "1"), RecordSystem.Ct));

        Assert.Contains("no longer exists", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_RemovesTheRecord_AgainSucceeds_StaleVersionConflicts()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(2);

        await system.Connector.DeleteAsync("customers", "1", "1", RecordSystem.Ct);
        await system.Connector.DeleteAsync("customers", "1", null, RecordSystem.Ct);
        var conflict = await Assert.ThrowsAsync<RecordConflictException>(async () =>
            await system.Connector.DeleteAsync("customers", "2", "7", RecordSystem.Ct));

        Assert.Null(await system.Connector.GetAsync("customers", "1", RecordSystem.Ct));
        Assert.True(system.Emulator.Records("customers").Single(r => r["id"]!.GetValue<string>() == "1")["deleted"]!.GetValue<bool>());
        Assert.Equal("1", conflict.Current!.Version);
        Assert.NotNull(system.Emulator.Record("customers", "2"));
    }

    [Fact]
    public async Task WriteBatch_WithBatchEndpoint_OneCallPerChunk_ResultsInOrder()
    {
        await using var system = await RecordSystem.StartAsync("  customers: { path: /api/customers, batch: _batch, batchSize: 40 }");
        system.Seed(1);
        system.Emulator.Change("customers", [new JsonObject { ["id"] = "1", ["tier"] = "A" }]);
        var writes = new List<RecordWrite>
        {
            RecordSystem.Write("1", new JsonObject { ["tier"] = "C" }, expectedVersion: "1", key: "k-stale"),
            RecordSystem.Write("1", new JsonObject { ["owner"] = "li" }, expectedVersion: "2", key: "k-ok"),
        };
        writes.AddRange(Enumerable.Range(0, 98).Select(i => RecordSystem.Write(null, new JsonObject { ["name"] = $"n{i}" }, key: $"k-{i}")));

        var results = await system.Connector.WriteBatchAsync("customers", writes, RecordSystem.Ct);
        var again = await system.Connector.WriteBatchAsync("customers", writes.Skip(1).ToList(), RecordSystem.Ct);

        var conflict = Assert.IsType<RecordConflictException>(results[0].Error);
        Assert.Equal("2", conflict.Current!.Version);
        Assert.Equal("3", results[1].Record!.Version);
        Assert.Equal("A", results[1].Record!.Fields["tier"]!.GetValue<string>());
        Assert.All(results.Skip(2), r => Assert.Null(r.Error));
        Assert.Equal(98, results.Skip(2).Select(r => r.Record!.Id).Distinct().Count());
        Assert.Equal(results.Skip(1).Select(r => r.Record!.Id), again.Select(r => r.Record!.Id));
        Assert.Equal(99, system.Emulator.Stats().Writes["customers"]);
        Assert.Equal(99, system.Emulator.Records("customers").Count);
    }

    [Fact]
    public async Task WriteBatch_WithoutBatchEndpoint_WritesOneByOne()
    {
        await using var system = await RecordSystem.StartAsync();
        system.Seed(1);

        var results = await system.Connector.WriteBatchAsync("customers",
            [RecordSystem.Write("1", new JsonObject { ["tier"] = "A" }, "9"), RecordSystem.Write(null, new JsonObject { ["name"] = "x" })], RecordSystem.Ct);

        Assert.IsType<RecordConflictException>(results[0].Error);
        Assert.Equal("2", results[1].Record!.Id);
    }

    [Fact]
    public async Task WriteBatch_HundredThousandRecords_LoadAndReadBackCompletely()
    {
        await using var system = await RecordSystem.StartAsync("  customers: { path: /api/customers, batch: _batch, batchSize: 5000, pageSize: 5000 }");
        var writes = Enumerable.Range(0, 100_000).Select(i => RecordSystem.Write(null, new JsonObject { ["name"] = $"n{i}", ["n"] = i }, key: $"load-{i}")).ToList();

        var results = await system.Connector.WriteBatchAsync("customers", writes, RecordSystem.Ct);
        var (records, _, _) = await system.ReadAllAsync(null, limit: 5000);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(100_000, records.Count);
        Assert.Equal(100_000, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 100_000), records.Select(r => r.Fields["n"]!.GetValue<int>()));
    }
}
