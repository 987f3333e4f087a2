using Isthmus.Connections;
using Isthmus.Api;
using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Runtime;

namespace Isthmus.Hosting;

/// <summary>
/// Opens the store, starts the engine (which recovers pending work), creates the first admin key, and runs
/// the background chores: configuration reload, schedules, retention and the gauges' counts.
/// </summary>
internal sealed partial class HostLifecycle(HostState state, ApiKeys keys, TimeProvider time, ILoggerFactory logs) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = logs.CreateLogger("Isthmus.Host");
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _chores = [];
    private ConfigurationWatcher? _watcher;
    private ScheduleRunner? _schedules;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await state.Store.InitializeAsync(cancellationToken);
        (state.ConnectorContext.Identities as StoredIdentityDirectory)?.Attach(state.Store);
        var overrides = await state.Store.Admin.ReadFlowOverridesAsync(cancellationToken);
        var engine = new IsthmusEngine(state.Store, new ActiveConfiguration(state.InitialConfig, state.InitialConnectors, overrides), state.Metrics, time, logs);
        engine.Start();
        state.SetEngine(engine);
        state.InitialAdminKey = await keys.EnsureAdminKeyAsync(cancellationToken);

        _schedules = new ScheduleRunner(engine, time, logs.CreateLogger("Isthmus.Schedules"));
        _chores.Add(_schedules.RunAsync(_stopping.Token));
        _chores.Add(RefreshCountsAsync(_stopping.Token));
        _chores.Add(PurgeAsync(_stopping.Token));
        _watcher = new ConfigurationWatcher(state.ConfigPath, state.InitialLoad, OnConfigurationChanged, time,
            callbackFailed: ex => LogChoreFailed(_logger, "reload", ex));
        LogStarted(_logger, state.InitialConfig.Server.Listen, state.InitialConfig.Flows.Count, state.InitialConfig.Connections.Count);
    }

    private void OnConfigurationChanged(LoadResult result)
    {
        var (connectors, errors) = IsthmusHost.BuildConnectors(result, state.ConnectorContext with { Logs = logs });
        if (connectors is null)
        {
            state.LastReloadErrors = errors;
            foreach (var error in errors)
            {
                LogReloadRefused(_logger, error.ToString());
            }

            return;
        }

        var engine = state.Engine;
        engine.Activate(new ActiveConfiguration(result.Config!, connectors, engine.Active.Overrides));
        state.LastReloadErrors = [];
        LogReloaded(_logger, result.Config!.Flows.Count, result.Config.Connections.Count);
    }

    private async Task RefreshCountsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), time);
        do
        {
            try
            {
                state.Metrics.Update(await state.Store.Admin.CountAsync(cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogChoreFailed(_logger, "counts", ex);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var retention = state.Engine.Active.Config.Store.Retention;
                var purged = await state.Store.PurgeAsync(time.GetUtcNow() - retention, cancellationToken);
                LogPurged(_logger, purged, retention);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogChoreFailed(_logger, "retention", ex);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _watcher?.Dispose();
        try
        {
            await Task.WhenAll(_chores);
        }
        catch (OperationCanceledException)
        {
        }

        if (state.Ready)
        {
            await state.Engine.DisposeAsync();
        }

        await state.Store.DisposeAsync();
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Isthmus listening on {Listen} with {Flows} flows and {Connections} connections")]
    private static partial void LogStarted(ILogger logger, string listen, int flows, int connections);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Configuration reloaded: {Flows} flows, {Connections} connections")]
    private static partial void LogReloaded(ILogger logger, int flows, int connections);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Configuration change refused; the previous configuration stays in force: {Error}")]
    private static partial void LogReloadRefused(ILogger logger, string error);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Background chore {Chore} failed")]
    private static partial void LogChoreFailed(ILogger logger, string chore, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Retention removed {Count} events older than {Retention}")]
    private static partial void LogPurged(ILogger logger, int count, TimeSpan retention);
}
