using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Isthmus.Benchmarks;

/// <summary>
/// CPU used over a window, in cores (CPU seconds per wall second): by the server under test, by this
/// process (load generator and sink), and by everything else on the machine (from /proc/stat).
/// </summary>
/// <param name="BenchGcPauseMs">Time this process spent paused for garbage collection during the window.</param>
public sealed record CpuShare(double ServerCores, double BenchCores, double OtherCores, double BenchGcPauseMs)
{
    public static async Task<(T Result, CpuShare Cpu)> MeasureAsync<T>(ServerProcess server, Func<Task<T>> run)
    {
        var serverBefore = server.CpuTime();
        var benchBefore = Environment.CpuUsage.TotalTime;
        double machineBefore = MachineBusySeconds();
        var gcBefore = GC.GetTotalPauseDuration();
        long start = Stopwatch.GetTimestamp();
        var result = await run();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double serverCores = (server.CpuTime() - serverBefore).TotalSeconds / wall;
        double benchCores = (Environment.CpuUsage.TotalTime - benchBefore).TotalSeconds / wall;
        double machineCores = (MachineBusySeconds() - machineBefore) / wall;
        double gcPauseMs = (GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds;
        return (result, new CpuShare(serverCores, benchCores, Math.Max(0, machineCores - serverCores - benchCores), gcPauseMs));
    }

    /// <summary>Busy CPU seconds of the whole machine since boot (user, nice, system, irq, softirq, steal).</summary>
    static double MachineBusySeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = (reader.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || fields[0] != "cpu")
            {
                return double.NaN;
            }

            long busy = 0;
            foreach (int i in new[] { 1, 2, 3, 6, 7, 8 })
            {
                busy += long.Parse(fields[i]);
            }

            return busy / 100.0; // USER_HZ
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}

/// <summary>Replies counted by status.</summary>
public sealed class StatusCounters
{
    long _accepted;
    long _duplicate;
    long _other;
    long _errors;
    readonly ConcurrentDictionary<int, long> _byStatus = new();
    string? _firstError;

    public long Accepted => Interlocked.Read(ref _accepted);
    public long Duplicate => Interlocked.Read(ref _duplicate);
    public long Other => Interlocked.Read(ref _other);
    public long Errors => Interlocked.Read(ref _errors);
    public string? FirstError => Volatile.Read(ref _firstError);

    public void Count(HttpStatusCode status)
    {
        switch (status)
        {
            case HttpStatusCode.Accepted:
                Interlocked.Increment(ref _accepted);
                break;
            case HttpStatusCode.OK:
                Interlocked.Increment(ref _duplicate);
                break;
            default:
                Interlocked.Increment(ref _other);
                _byStatus.AddOrUpdate((int)status, 1, static (_, n) => n + 1);
                break;
        }
    }

    public void CountError(Exception error)
    {
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, $"{error.GetType().Name}: {error.Message}", null);
    }

    /// <summary>Statuses other than 202/200, e.g. "404×12, 503×3"; empty when there were none.</summary>
    public string OtherStatuses() =>
        string.Join(", ", _byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value:N0}"));
}

public sealed record ClosedLoopResult(
    int Concurrency,
    TimeSpan Elapsed,
    long Accepted,
    long Duplicate,
    long Other,
    long Errors,
    string OtherStatuses,
    string? FirstError,
    LatencySummary Ack)
{
    public double AcceptedPerSecond => Accepted / Elapsed.TotalSeconds;

    /// <summary>CPU used by the server and by this process while the load ran; set by the caller.</summary>
    public CpuShare? Cpu { get; init; }
}

public sealed record OpenLoopResult(
    int TargetRate,
    TimeSpan Elapsed,
    long Sent,
    long SkippedAtCap,
    long Accepted,
    long Duplicate,
    long Other,
    long Errors,
    string OtherStatuses,
    string? FirstError,
    double ScheduleLagP99Ms,
    LatencySummary Ack)
{
    public double AcceptedPerSecond => Accepted / Elapsed.TotalSeconds;

    /// <summary>CPU used by the server and by this process while the load ran; set by the caller.</summary>
    public CpuShare? Cpu { get; init; }
}

/// <summary>
/// Sends signed events to <c>POST /hooks/load</c>. One <see cref="HttpClient"/> per phase over a
/// <see cref="SocketsHttpHandler"/> whose connection limit equals the concurrency, so every sender
/// keeps one keep-alive connection.
/// </summary>
public static class LoadGenerator
{
    /// <summary>Upper bound of requests in one phase, whatever the duration.</summary>
    const long MaxRequestsPerPhase = 20_000_000;

    public static HttpClient CreateClient(int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> senders, each sends its next request only after the
    /// previous reply arrived, until <paramref name="duration"/> has passed.
    /// </summary>
    public static async Task<ClosedLoopResult> RunClosedLoopAsync(
        Uri hookUrl, EventFactory events, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var client = CreateClient(concurrency);
        var counters = new StatusCounters();
        var ack = new LatencyRecorder();
        long budget = MaxRequestsPerPhase;
        var clock = Stopwatch.StartNew();

        async Task Sender()
        {
            var buffer = new byte[EventFactory.MaxBodyBytes];
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested && Interlocked.Decrement(ref budget) >= 0)
            {
                await SendOneAsync(client, hookUrl, events.Create(buffer), counters, ack, cancellationToken);
            }
        }

        var senders = new Task[concurrency];
        for (int i = 0; i < concurrency; i++)
        {
            senders[i] = Task.Run(Sender, cancellationToken);
        }

        await Task.WhenAll(senders);
        clock.Stop();
        return new ClosedLoopResult(
            concurrency, clock.Elapsed, counters.Accepted, counters.Duplicate, counters.Other, counters.Errors,
            counters.OtherStatuses(), counters.FirstError, ack.Summarize());
    }

    /// <summary>
    /// Open loop: requests are issued on a fixed schedule of <paramref name="rate"/> per second, whether or
    /// not earlier replies have arrived. A dedicated thread keeps the schedule and hands each request to the
    /// thread pool; when <paramref name="maxInFlight"/> requests are outstanding, a due request is skipped
    /// and counted instead of sent late.
    /// </summary>
    public static async Task<OpenLoopResult> RunOpenLoopAsync(
        Uri hookUrl, EventFactory events, int rate, TimeSpan duration, int maxInFlight, CancellationToken cancellationToken)
    {
        using var client = CreateClient(maxInFlight);
        var counters = new StatusCounters();
        var ack = new LatencyRecorder();
        var lag = new LatencyRecorder();
        long total = Math.Min((long)(rate * duration.TotalSeconds), MaxRequestsPerPhase);
        long inFlight = 0;
        long sent = 0;
        long skipped = 0;
        var hardStop = duration + TimeSpan.FromSeconds(2);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task SendAsync()
        {
            try
            {
                await SendOneAsync(client, hookUrl, events.Create(new byte[EventFactory.MaxBodyBytes]), counters, ack, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        Func<Task> send = SendAsync;
        var started = Stopwatch.StartNew();
        var scheduler = new Thread(() =>
        {
            try
            {
                double ticksPerRequest = (double)Stopwatch.Frequency / rate;
                long start = Stopwatch.GetTimestamp();
                for (long i = 0; i < total && !cancellationToken.IsCancellationRequested;)
                {
                    long due = start + (long)(i * ticksPerRequest);
                    long now = Stopwatch.GetTimestamp();
                    if (now < due)
                    {
                        // Sleep granularity is ~1 ms; requests that fall due meanwhile go out together on wake-up.
                        Thread.Sleep(1);
                        continue;
                    }

                    if (Stopwatch.GetElapsedTime(start) > hardStop)
                    {
                        skipped += total - i;
                        break;
                    }

                    i++;
                    if (Interlocked.Read(ref inFlight) >= maxInFlight)
                    {
                        skipped++;
                        continue;
                    }

                    lag.Record((now - due) * 1_000_000 / Stopwatch.Frequency);
                    Interlocked.Increment(ref inFlight);
                    sent++;
                    ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s(), send, preferLocal: false);
                }

                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop scheduler",
            Priority = ThreadPriority.AboveNormal,
        };
        scheduler.Start();
        await done.Task;
        var sendWindow = started.Elapsed;

        // Let the last replies arrive (bounded).
        for (int i = 0; i < 1000 && Interlocked.Read(ref inFlight) > 0; i++)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        return new OpenLoopResult(
            rate, sendWindow, sent, skipped, counters.Accepted, counters.Duplicate, counters.Other, counters.Errors,
            counters.OtherStatuses(), counters.FirstError, lag.Summarize().P99Ms, ack.Summarize());
    }

    static async Task SendOneAsync(
        HttpClient client, Uri hookUrl, PreparedEvent e, StatusCounters counters, LatencyRecorder ack, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hookUrl)
            {
                Content = new ByteArrayContent(e.Body, 0, e.Length),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            request.Headers.TryAddWithoutValidation(EventFactory.SignatureHeader, e.Signature);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            counters.Count(response.StatusCode);
            ack.Record(Stopwatch.GetElapsedTime(start).Ticks / TimeSpan.TicksPerMicrosecond);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            counters.CountError(ex);
        }
    }
}
