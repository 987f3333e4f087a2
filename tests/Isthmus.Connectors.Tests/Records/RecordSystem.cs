using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors.Http;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulators.Records;
using Isthmus.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>A record-system emulator on 127.0.0.1 and an <c>http</c> connection with <c>records:</c> pointed at it.</summary>
internal sealed class RecordSystem : IAsyncDisposable
{
    private RecordSystem(RecordsEmulator emulator) => Emulator = emulator;

    public RecordsEmulator Emulator { get; }

    public IRecordConnector Connector { get; private set; } = null!;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts the emulator and connects with <paramref name="records"/> as the connection's <c>records:</c> body (indented YAML).</summary>
    public static async Task<RecordSystem> StartAsync(
        string records = "  customers: { path: /api/customers }", RecordsEmulatorOptions? options = null, string extra = "")
    {
        var emulator = new RecordsEmulator(options ?? new RecordsEmulatorOptions { Types = ["customers"] });
        await emulator.StartAsync(Ct);
        var system = new RecordSystem(emulator);
        system.Connector = Connect(emulator.Url, records, extra);
        return system;
    }

    public static IRecordConnector Connect(string url, string records, string extra = "") =>
        Connections.CreateValid<IRecordConnector>(new HttpConnectorFactory(), $"baseUrl: {url}\n{extra}records:\n{records}\n");

    public static (IConnector? Connector, List<ConfigError> Errors) TryConnect(string yaml) =>
        Connections.Create<IConnector>(new HttpConnectorFactory(), yaml);

    /// <summary>Seeds <paramref name="count"/> customers <c>{"name":"c{i}","tier":"B"}</c> behind the API's back.</summary>
    public IReadOnlyList<JsonObject> Seed(int count, string type = "customers") =>
        Emulator.Change(type, Enumerable.Range(1, count).Select(i => new JsonObject { ["name"] = $"c{i}", ["tier"] = "B" }));

    /// <summary>Reads the whole feed from <paramref name="cursor"/> in pages of <paramref name="limit"/>; returns every record and the last cursor.</summary>
    public async Task<(List<SourceRecord> Records, string? Cursor, int Pages)> ReadAllAsync(string? cursor, int limit, string type = "customers")
    {
        var all = new List<SourceRecord>();
        var pages = 0;
        while (true)
        {
            var page = await Connector.ReadChangesAsync(type, cursor, limit, Ct);
            pages++;
            Assert.True(page.Records.Count <= limit, $"page of {page.Records.Count} records for limit {limit}");
            all.AddRange(page.Records);
            cursor = page.Cursor ?? cursor;
            if (!page.More)
            {
                return (all, cursor, pages);
            }

            Assert.True(pages < 10_000, "the feed never ended");
        }
    }

    public static RecordWrite Write(string? id, JsonObject fields, string? expectedVersion = null, string? key = null) =>
        new(id, fields, expectedVersion, key ?? Guid.NewGuid().ToString("N"));

    public async ValueTask DisposeAsync()
    {
        await Connector.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
