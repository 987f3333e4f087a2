using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Isthmus.Benchmarks;

/// <summary>
/// Runs the phases in order — ceiling, start-up, accepted throughput, end-to-end rates, max sustained —
/// and fills <see cref="BenchmarkResults"/>. A phase that cannot run records why and ends the run; what was
/// measured up to then is kept.
/// </summary>
public sealed class BenchmarkRunner
{
    static readonly int[] EndToEndRates = [500, 2_000, 5_000];
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    static readonly TimeSpan NoProgressLimit = TimeSpan.FromSeconds(5);
    static readonly TimeSpan DrainedQuickly = TimeSpan.FromSeconds(3);

    readonly BenchmarkOptions _options;
    readonly BenchmarkResults _results;
    readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    readonly string _workRoot;
    readonly EventFactory _events;
    readonly Action<string> _progress;

    public BenchmarkRunner(BenchmarkOptions options, BenchmarkResults results, Action<string> progress)
    {
        _options = options;
        _results = results;
        _progress = progress;
        _workRoot = Path.Combine(Path.GetTempPath(), "isthmus-bench-" + _runId);
        _events = new EventFactory(_runId);
    }

    /// <summary>
    /// Runtime settings of the isthmus host (workstation, background GC, tiered PGO off), given to the reference
    /// servers this executable runs, since the benchmark process itself runs with tiered PGO.
    /// </summary>
    static readonly Dictionary<string, string> IsthmusGcSettings = new()
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_gcConcurrent"] = "1",
        ["DOTNET_TieredPGO"] = "0",
    };

    static string SelfDll => Path.Combine(AppContext.BaseDirectory, "Isthmus.Benchmarks.dll");

    static string DotnetHost =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>The isthmus build to run: --isthmus, else the repository's Release output.</summary>
    public static string ResolveTarget(BenchmarkOptions options)
    {
        if (options.StandIn)
        {
            return "stand-in (non-durable, in-memory; harness self-test only)";
        }

        if (options.IsthmusDll is { } given)
        {
            return File.Exists(given) ? given : throw new BenchmarkException($"--isthmus {given}: no such file");
        }

        string[] candidates =
        [
            Path.Combine(options.RepositoryRoot, "artifacts", "publish", "Isthmus", "release", "isthmus.dll"),
            Path.Combine(options.RepositoryRoot, "artifacts", "bin", "isthmus", "release", "isthmus.dll"),
            Path.Combine(options.RepositoryRoot, "artifacts", "bin", "Isthmus", "release", "isthmus.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new BenchmarkException(
                $"no isthmus build found ({string.Join(" or ", candidates)}); run 'dotnet publish src/Isthmus/Isthmus.csproj -c Release' or pass --isthmus <dll>");
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_workRoot);
        bool failed = false;
        try
        {
            await using var sink = await Sink.StartAsync(cancellationToken);
            await RunCeilingAsync(cancellationToken);
            await MeasureStartupAsync(sink, cancellationToken);
            await RunTargetAsync(sink, cancellationToken);
            _results.SinkDuplicates = sink.Duplicates;
            _results.SinkMissingKey = sink.MissingKey;
            _results.SinkMissingSentAt = sink.MissingSentAt;
        }
        catch (BenchmarkException e)
        {
            failed = true;
            _results.Errors.Add(e.Message);
        }
        finally
        {
            if (!failed)
            {
                TryDelete(_workRoot);
            }
        }
    }

    async Task RunCeilingAsync(CancellationToken cancellationToken)
    {
        _progress("ceiling: starting raw Kestrel process");
        var dir = Directory.CreateDirectory(Path.Combine(_workRoot, "ceiling")).FullName;
        await using var ceiling = ServerProcess.Start(
            "ceiling server", DotnetHost, [SelfDll, "ceiling", "--parent", Environment.ProcessId.ToString()], dir, Path.Combine(dir, "ceiling.log"), IsthmusGcSettings);
        string line = await ceiling.WaitForLineAsync(l => l.StartsWith(ReferenceServers.ListeningPrefix, StringComparison.Ordinal), ReadyTimeout, cancellationToken);
        var baseUrl = new Uri(line[ReferenceServers.ListeningPrefix.Length..].Trim());
        var hook = new Uri(baseUrl, "/hooks/load");
        ceiling.StartMemorySampler();

        await LoadGenerator.RunClosedLoopAsync(hook, _events, 16, _options.WarmUp, cancellationToken);
        await LoadGenerator.RunClosedLoopAsync(hook, _events, 64, _options.WarmUp, cancellationToken);
        foreach (int c in new[] { 16, 64 })
        {
            var (result, cpu) = await CpuShare.MeasureAsync(ceiling, () => LoadGenerator.RunClosedLoopAsync(hook, _events, c, _options.PhaseDuration, cancellationToken));
            result = result with { Cpu = cpu };
            RequireAccepted("ceiling", result.Accepted, result.OtherStatuses, result.FirstError);
            _progress($"ceiling c{c}: {result.AcceptedPerSecond:N0} req/s");
            if (c == 16)
            {
                _results.Ceiling16 = result;
            }
            else
            {
                _results.Ceiling64 = result;
            }
        }

        // Generator check: the highest end-to-end rate, open loop, against the endpoint that does nothing.
        // If the schedule slips or sends are skipped here, the generator (or the machine) is the limit.
        int topRate = EndToEndRates[^1];
        var (open, openCpu) = await CpuShare.MeasureAsync(ceiling, () => LoadGenerator.RunOpenLoopAsync(hook, _events, topRate, _options.PhaseDuration, _options.MaxInFlight, cancellationToken));
        _results.CeilingOpenLoop = open with { Cpu = openCpu };
        _progress($"ceiling open loop @{topRate}/s: accepted {open.AcceptedPerSecond:N0}/s, skipped {open.SkippedAtCap:N0}, reply p99 {Report.Ms(open.Ack.P99Ms)}");

        ceiling.SampleMemory();
        _results.CeilingMemory = ceiling.Peak;
        await ceiling.StopAsync(StopGrace);
    }

    async Task MeasureStartupAsync(Sink sink, CancellationToken cancellationToken)
    {
        for (int i = 1; i <= _options.StartupRuns; i++)
        {
            await using var server = StartTarget($"startup-{i}", sink, out var baseUrl);
            var ready = await server.WaitReadyAsync(new Uri(baseUrl, "/readyz"), ReadyTimeout, cancellationToken);
            _results.StartupTimes.Add(ready);
            _progress($"start→ready #{i}: {ready.TotalMilliseconds:N0} ms");
            await server.StopAsync(StopGrace);
        }
    }

    async Task RunTargetAsync(Sink sink, CancellationToken cancellationToken)
    {
        await using var server = StartTarget("main", sink, out var baseUrl);
        await server.WaitReadyAsync(new Uri(baseUrl, "/readyz"), ReadyTimeout, cancellationToken);
        server.StartMemorySampler();
        var hook = new Uri(baseUrl, "/hooks/load");

        _progress("warm-up");
        await RunClosedPhaseAsync("warm-up c16", server, sink, hook, 16, _options.WarmUp, cancellationToken);
        await RunClosedPhaseAsync("warm-up c64", server, sink, hook, 64, _options.WarmUp, cancellationToken);

        _results.Accepted16 = await RunClosedPhaseAsync("accepted c16", server, sink, hook, 16, _options.PhaseDuration, cancellationToken);
        _results.Accepted64 = await RunClosedPhaseAsync("accepted c64", server, sink, hook, 64, _options.PhaseDuration, cancellationToken);

        foreach (int rate in EndToEndRates)
        {
            _results.EndToEnd.Add(await RunOpenPhaseAsync(server, sink, hook, rate, cancellationToken));
        }

        _results.TargetMemoryAfterEndToEnd = server.SampleMemory();
        _results.MaxSustained = await RunClosedPhaseAsync("max sustained c64", server, sink, hook, 64, _options.PhaseDuration, cancellationToken);

        server.SampleMemory();
        _results.TargetMemory = server.Peak;
        await server.StopAsync(StopGrace);
    }

    async Task<ClosedPhase> RunClosedPhaseAsync(
        string name, ServerProcess server, Sink sink, Uri hook, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var quietWait = await WaitForQuietAsync(server, sink, cancellationToken);
        var phase = sink.BeginPhase();
        var (load, cpu) = await CpuShare.MeasureAsync(server, () => LoadGenerator.RunClosedLoopAsync(hook, _events, concurrency, duration, cancellationToken));
        load = load with { Cpu = cpu };
        phase.CloseWindow();
        EnsureRunning(server);
        RequireAccepted(name, load.Accepted, load.OtherStatuses, load.FirstError);
        var delivery = await DrainAsync(server, phase, load.Accepted, load.Elapsed, cancellationToken);
        _progress($"{name}: accepted {load.AcceptedPerSecond:N0}/s, delivered {delivery.DeliveredPerSecond:N0}/s, drained {Report.Drain(delivery)}");
        return new ClosedPhase(name, load, delivery, quietWait);
    }

    async Task<OpenPhase> RunOpenPhaseAsync(ServerProcess server, Sink sink, Uri hook, int rate, CancellationToken cancellationToken)
    {
        var quietWait = await WaitForQuietAsync(server, sink, cancellationToken);
        var phase = sink.BeginPhase();
        var (load, cpu) = await CpuShare.MeasureAsync(server, () => LoadGenerator.RunOpenLoopAsync(hook, _events, rate, _options.PhaseDuration, _options.MaxInFlight, cancellationToken));
        load = load with { Cpu = cpu };
        phase.CloseWindow();
        EnsureRunning(server);
        RequireAccepted($"end-to-end @{rate}/s", load.Accepted, load.OtherStatuses, load.FirstError);
        var delivery = await DrainAsync(server, phase, load.Accepted, load.Elapsed, cancellationToken);

        var reasons = new List<string>();
        if (load.AcceptedPerSecond < rate * 0.95)
        {
            reasons.Add($"accepted {load.AcceptedPerSecond:N0}/s < 95% of target");
        }

        if (delivery.DeliveredPerSecond < rate * 0.95)
        {
            reasons.Add($"delivered {delivery.DeliveredPerSecond:N0}/s < 95% of target");
        }

        if (delivery.DrainTime is not { } drain || drain > DrainedQuickly)
        {
            reasons.Add($"backlog drained {Report.Drain(delivery)}");
        }

        if (load.Other + load.Errors > 0)
        {
            reasons.Add($"{load.Other + load.Errors:N0} failed requests");
        }

        long total = load.Sent + load.SkippedAtCap;
        if (load.SkippedAtCap > total / 200)
        {
            reasons.Add($"{load.SkippedAtCap:N0} sends skipped at the in-flight cap");
        }

        var result = new OpenPhase(load, delivery, reasons.Count == 0, string.Join("; ", reasons), quietWait);
        _progress($"end-to-end @{rate}/s: {(result.Sustained ? "ok" : "NOT sustained (" + result.Reason + ")")}, " +
                  $"p99 {Report.Ms(delivery.Latency.P99Ms)}");
        return result;
    }

    /// <summary>
    /// Waits until no delivery has reached the sink for a second, so a backlog left by an earlier phase does
    /// not load the server during a latency phase. Bounded by <see cref="BenchmarkOptions.QuietTimeout"/>.
    /// </summary>
    async Task<TimeSpan> WaitForQuietAsync(ServerProcess server, Sink sink, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long last = sink.Received;
        var lastChange = TimeSpan.Zero;
        int maxPolls = (int)(_options.QuietTimeout.TotalMilliseconds / 50) + 1;
        for (int i = 0; i < maxPolls && clock.Elapsed < _options.QuietTimeout; i++)
        {
            await Task.Delay(50, cancellationToken);
            EnsureRunning(server);
            long now = sink.Received;
            if (now != last)
            {
                last = now;
                lastChange = clock.Elapsed;
            }
            else if (clock.Elapsed - lastChange >= TimeSpan.FromSeconds(1))
            {
                return lastChange;
            }
        }

        _progress($"deliveries still arriving after {_options.QuietTimeout.TotalSeconds:0} s; starting the next phase anyway");
        return clock.Elapsed;
    }

    /// <summary>Waits until the sink has every accepted event of the phase, or progress stops, or the drain timeout.</summary>
    async Task<DeliveryStats> DrainAsync(ServerProcess server, SinkPhase phase, long expected, TimeSpan window, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? drained = null;
        long lastCount = -1;
        var lastProgress = TimeSpan.Zero;
        int maxPolls = (int)(_options.DrainTimeout.TotalMilliseconds / 10) + 1;
        for (int i = 0; i < maxPolls && clock.Elapsed < _options.DrainTimeout; i++)
        {
            long delivered = phase.Delivered;
            if (delivered >= expected)
            {
                drained = clock.Elapsed;
                break;
            }

            if (delivered != lastCount)
            {
                lastCount = delivered;
                lastProgress = clock.Elapsed;
            }
            else if (clock.Elapsed - lastProgress > NoProgressLimit)
            {
                break;
            }

            EnsureRunning(server);
            await Task.Delay(10, cancellationToken);
        }

        return new DeliveryStats(
            phase.Delivered, phase.DeliveredInWindow, phase.DeliveredInWindow / window.TotalSeconds,
            phase.Duplicates, phase.Stale, phase.Latency(), drained, Math.Max(0, expected - phase.Delivered));
    }

    ServerProcess StartTarget(string name, Sink sink, out Uri baseUrl)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_workRoot, name)).FullName;
        int port = FreePort();
        baseUrl = new Uri($"http://127.0.0.1:{port}");
        string config = Path.Combine(dir, "isthmus.yaml");
        File.WriteAllText(config, ConfigYaml(port, sink.BaseUrl, _options.Synchronous));
        string target = ResolveTarget(_options);
        List<string> args = _options.StandIn
            ? [SelfDll, "stand-in", "serve", "--config", config, "--parent", Environment.ProcessId.ToString()]
            : [target, "serve", "--config", config];
        _progress($"{name}: starting {(_options.StandIn ? "stand-in" : target)} on {baseUrl}");
        return ServerProcess.Start(
            _options.StandIn ? "stand-in" : "isthmus", DotnetHost, args, dir, Path.Combine(dir, "server.log"), _options.StandIn ? IsthmusGcSettings : null);
    }

    static void EnsureRunning(ServerProcess server)
    {
        if (server.HasExited)
        {
            throw server.Failure("exited during the run");
        }
    }

    static void RequireAccepted(string phase, long accepted, string otherStatuses, string? firstError)
    {
        if (accepted == 0)
        {
            throw new BenchmarkException(
                $"{phase}: no request was accepted (202). Other statuses: {(otherStatuses.Length > 0 ? otherStatuses : "none")}; first error: {firstError ?? "none"}");
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public string WorkDirectory => _workRoot;

    public static string ConfigYaml(int port, Uri sinkBaseUrl, string synchronous = "full") => $$$"""
        server:
          listen: http://127.0.0.1:{{{port}}}
        store:
          kind: sqlite
          path: isthmus.db
          synchronous: {{{synchronous}}}
        connections:
          load:
            kind: webhook
            auth: { type: hmac-sha256, secret: {{{EventFactory.Secret}}}, header: {{{EventFactory.SignatureHeader}}}, prefix: "sha256=" }
            eventId: { path: id }
            eventType: { path: type }
            key: { path: data.orderId }
            data: { path: data }
          sink:
            kind: http
            baseUrl: {{{sinkBaseUrl.GetLeftPart(UriPartial.Authority)}}}
            timeout: 5s
            maxConcurrency: 64
        flows:
          forward-approved:
            trigger: { connection: load, event: "order.*" }
            when: data.amount > 0
            steps:
              - transform: out
                value:
                  orderId: "=data.orderId"
                  amount: "=data.amount"
                  sentAt: "=data.sentAt"
                  status: "=upper(data.status)"
              - action: forward
                connection: sink
                method: POST
                path: "/sink/{{ data.orderId }}"
                body: "=steps.out"

        """;
}
