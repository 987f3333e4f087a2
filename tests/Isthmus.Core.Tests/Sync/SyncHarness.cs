using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Connectors;
using Isthmus.Mappings;
using Isthmus.Records;
using Isthmus.Runtime;
using Isthmus.Storage;
using Isthmus.Storage.Sqlite;
using Isthmus.Sync;
using Isthmus.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Core.Tests.Sync;

/// <summary>A sync engine over a real SQLite store and fake systems, driven step by step by the test.</summary>
internal sealed class SyncHarness : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("isthmus-sync-").FullName;
    private readonly SqliteStore _store;
    private readonly IsthmusMetrics _metrics = new(TimeProvider.System);

    private SyncHarness(string yaml, IReadOnlyDictionary<string, FakeRecordSystem> systems, TimeProvider? time = null)
    {
        Systems = systems;
        Active = Configure(yaml);
        _store = new SqliteStore(Path.Combine(_directory, "isthmus.db"), "normal");
        Engine = new SyncEngine(_store, () => Active, _metrics, time ?? TimeProvider.System, NullLoggerFactory.Instance);
    }

    public IReadOnlyDictionary<string, FakeRecordSystem> Systems { get; }

    /// <summary>The configuration the engine reads, as a reload would replace it (<see cref="Reload"/>).</summary>
    public ActiveConfiguration Active { get; private set; }

    public SyncEngine Engine { get; }

    public ISyncStore Store => _store;

    public static Task<SyncHarness> StartAsync(string yaml, params string[] systems) =>
        StartAsync(yaml, systems.Select(s => new FakeRecordSystem(s)));

    /// <summary>Starts over systems the test built (with a shared clock, a change log).</summary>
    public static async Task<SyncHarness> StartAsync(string yaml, IEnumerable<FakeRecordSystem> systems)
    {
        var harness = new SyncHarness(yaml, systems.ToDictionary(s => s.Connection, s => s));
        await harness._store.InitializeAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Starts with the engine on <paramref name="time"/> (schedules), the systems on the real clock.</summary>
    public static async Task<SyncHarness> StartAsync(string yaml, TimeProvider time, params string[] systems)
    {
        var harness = new SyncHarness(yaml, systems.ToDictionary(s => s, s => new FakeRecordSystem(s)), time);
        await harness._store.InitializeAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>A harness with its own store over systems that already exist (another Isthmus, or one whose database was replaced).</summary>
    public static async Task<SyncHarness> StartAsync(string yaml, IReadOnlyDictionary<string, FakeRecordSystem> systems)
    {
        var harness = new SyncHarness(yaml, systems);
        await harness._store.InitializeAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Puts <paramref name="yaml"/> in force over the same systems and store, as a configuration reload does.</summary>
    public void Reload(string yaml) => Active = Configure(yaml);

    private ActiveConfiguration Configure(string yaml)
    {
        var load = ConfigurationLoader.LoadText(yaml, "isthmus.yaml", _directory);
        Assert.True(load.Succeeded, string.Join("\n", load.Errors));
        var errors = new List<ConfigError>();
        var connectors = ConnectorSet.Build(load.Config!.Connections, [new FakeRecordFactory(Systems)],
            new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance), errors)!;
        return new ActiveConfiguration(load.Config, connectors, new Dictionary<string, bool>());
    }

    public Mapping Mapping(string entity, string connection) => Active.Config.Model.Entity(entity)!.Mappings.Single(m => m.Connection == connection);

    /// <summary>Delivers the notifications of <paramref name="connection"/> that are waiting.</summary>
    public async Task DeliverAsync(string entity, string connection, Func<SourceRecord, int>? copies = null)
    {
        var system = Systems[connection];
        var pending = system.Notifications.ToList();
        system.Notifications.Clear();
        foreach (var record in pending)
        {
            for (var i = 0; i < (copies?.Invoke(record) ?? 1); i++)
            {
                await Engine.IngestAsync(Mapping(entity, connection), [record], null, CancellationToken.None);
            }
        }
    }

    /// <summary>Delivers one waiting notification of <paramref name="connection"/>, picked by position (so out of order), <paramref name="copies"/> times.</summary>
    /// <param name="keep">Leave it waiting too, so it arrives again later (a redelivery).</param>
    public async Task DeliverOneAsync(string entity, string connection, int index, int copies = 1, bool keep = false)
    {
        var system = Systems[connection];
        var record = system.Notifications[index];
        if (!keep)
        {
            system.Notifications.RemoveAt(index);
        }

        for (var i = 0; i < copies; i++)
        {
            await Engine.IngestAsync(Mapping(entity, connection), [record], null, CancellationToken.None);
        }
    }

    /// <summary>Reads <paramref name="connection"/>'s change feed from the kept cursor, as a scheduled poll does.</summary>
    public Task<IngestSummary> PollAsync(string entity, string connection) => Engine.PollAsync(Mapping(entity, connection), CancellationToken.None);

    /// <summary>Sends the writes due on one connection once (a writer's single pass); returns how many were sent.</summary>
    public async Task<int> SendDueOnceAsync(string connection)
    {
        var due = await _store.DueWritesAsync(connection, DateTimeOffset.UtcNow.AddYears(10), 1000, CancellationToken.None);
        if (due.Count > 0)
        {
            await Engine.SendForTestsAsync(connection, due, CancellationToken.None);
        }

        return due.Count;
    }

    /// <summary>Sends every due write, repeatedly, until none is left (writers are not started; the test drives them).</summary>
    public async Task<int> FlushWritesAsync()
    {
        var total = 0;
        for (var round = 0; round < 100; round++)
        {
            var any = false;
            foreach (var connection in Systems.Keys)
            {
                var due = await _store.DueWritesAsync(connection, DateTimeOffset.UtcNow.AddYears(10), 1000, CancellationToken.None);
                if (due.Count > 0)
                {
                    any = true;
                    total += due.Count;
                    await Engine.SendForTestsAsync(connection, due, CancellationToken.None);
                }
            }

            if (!any)
            {
                return total;
            }
        }

        throw new InvalidOperationException("writes did not settle after 100 rounds: an echo loop?");
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await _store.DisposeAsync();
        _metrics.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
