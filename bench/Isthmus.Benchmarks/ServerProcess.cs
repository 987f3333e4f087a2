using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Isthmus.Benchmarks;

/// <summary>Resident memory of a process, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
public readonly record struct MemorySample(long RssKb, long HwmKb)
{
    public static MemorySample Read(int pid)
    {
        long rss = -1, hwm = -1;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = ParseKb(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = ParseKb(line);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new MemorySample(rss, hwm);
    }

    static long ParseKb(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], out long kb) ? kb : -1;
    }
}

/// <summary>
/// A server under test running as a child process: started, polled until ready, sampled for memory,
/// stopped with SIGTERM (killed if it does not exit within the grace period). Its output goes to a log
/// file, and the last lines are kept for error messages.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    const int Sigterm = 15;
    const int TailLines = 40;

    readonly Process _process;
    readonly Queue<string> _tail = new();
    readonly StreamWriter _log;
    readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    readonly CancellationTokenSource _samplerStop = new();
    Task? _sampler;
    long _peakRssKb;
    long _lastHwmKb;
    bool _closed;

    ServerProcess(Process process, StreamWriter log, string label, string logPath)
    {
        _process = process;
        _log = log;
        Label = label;
        LogPath = logPath;
    }

    public string Label { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public long SpawnTimestamp { get; private set; }

    /// <summary>User + system CPU time the process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Highest VmRSS seen by the sampler, and the kernel's own high-water mark (VmHWM).</summary>
    public MemorySample Peak => new(Interlocked.Read(ref _peakRssKb), Interlocked.Read(ref _lastHwmKb));

    public static ServerProcess Start(
        string label, string fileName, IEnumerable<string> arguments, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        // Servers run with their own runtime defaults, not the load generator's GC tuning (see bench/run.sh).
        info.Environment.Remove("DOTNET_GCgen0size");
        info.Environment.Remove("COMPlus_GCgen0size");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, log, label, logPath);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server.SpawnTimestamp = Stopwatch.GetTimestamp();
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            log.Dispose();
            process.Dispose();
            throw new BenchmarkException($"{label}: could not start '{fileName}': {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            if (_closed)
            {
                return;
            }

            _log.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            foreach (var (match, found) in _waiters)
            {
                if (match(line))
                {
                    found.TrySetResult(line);
                }
            }
        }
    }

    public string OutputTail()
    {
        lock (_tail)
        {
            return _tail.Count == 0 ? "(no output)" : string.Join(Environment.NewLine, _tail.Select(l => "    | " + l));
        }
    }

    /// <summary>Waits for an output line that matches; fails if the process exits first or the time runs out.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_tail)
        {
            _waiters.Add((match, found));
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(cts.Token);
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout, cts.Token));
        if (first == found.Task)
        {
            await cts.CancelAsync();
            return await found.Task;
        }

        await cts.CancelAsync();
        throw Failure(_process.HasExited ? $"exited with code {_process.ExitCode} before it was ready" : $"was not ready within {timeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// Polls <paramref name="readyUrl"/> every ~5 ms until it answers 200; returns the time from spawn.
    /// </summary>
    public async Task<TimeSpan> WaitReadyAsync(Uri readyUrl, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        string lastProblem = "no reply";
        int maxPolls = (int)(timeout.TotalMilliseconds / 5) + 1;
        for (int i = 0; i < maxPolls && Stopwatch.GetElapsedTime(SpawnTimestamp) < timeout; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw Failure($"exited with code {_process.ExitCode} before it was ready");
            }

            try
            {
                using var response = await client.GetAsync(readyUrl, cancellationToken);
                if ((int)response.StatusCode == 200)
                {
                    return Stopwatch.GetElapsedTime(SpawnTimestamp);
                }

                lastProblem = $"GET {readyUrl.AbsolutePath} answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                lastProblem = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastProblem = "GET timed out";
            }

            await Task.Delay(5, cancellationToken);
        }

        throw Failure($"was not ready within {timeout.TotalSeconds:0} s (last: {lastProblem})");
    }

    /// <summary>Samples VmRSS/VmHWM every 100 ms until the process stops (bounded to 2 hours).</summary>
    public void StartMemorySampler()
    {
        var token = _samplerStop.Token;
        _sampler = Task.Run(async () =>
        {
            for (int i = 0; i < 72_000 && !token.IsCancellationRequested && !_process.HasExited; i++)
            {
                SampleMemory();
                try
                {
                    await Task.Delay(100, token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>Reads current memory now and folds it into the peak.</summary>
    public MemorySample SampleMemory()
    {
        var sample = MemorySample.Read(_process.Id);
        if (sample.RssKb > Interlocked.Read(ref _peakRssKb))
        {
            Interlocked.Exchange(ref _peakRssKb, sample.RssKb);
        }

        if (sample.HwmKb > 0)
        {
            Interlocked.Exchange(ref _lastHwmKb, sample.HwmKb);
        }

        return sample;
    }

    public BenchmarkException Failure(string what) =>
        new($"{Label} {what}.{Environment.NewLine}  last output ({LogPath}):{Environment.NewLine}{OutputTail()}");

    /// <summary>SIGTERM, then a kill of the process itself if it has not exited after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _samplerStop.CancelAsync();
        if (_sampler is not null)
        {
            await _sampler;
        }

        if (_process.HasExited)
        {
            return;
        }

        _ = NativeMethods.Kill(_process.Id, Sigterm);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: false);
            using var killed = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(killed.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _samplerStop.Dispose();
        lock (_tail)
        {
            _closed = true;
            _log.Dispose();
        }
    }
}

static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}

/// <summary>A benchmark step that cannot go on; the message says why.</summary>
public sealed class BenchmarkException(string message) : Exception(message);
