using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Isthmus.IntegrationTests.Support;
using Microsoft.AspNetCore.Http;

namespace Isthmus.IntegrationTests.Crash;

/// <summary>
/// Nothing lost, nothing done twice, in order per key — across <c>kill -9</c>: the real server process is killed
/// twice while load runs (once mid-load, once during recovery), restarted on the same store, and every
/// acknowledged event must reach the sink under exactly one idempotency key, in order per key.
/// </summary>
public sealed class KillDuringLoadTests : IAsyncLifetime
{
    private const int Senders = 8;
    private const int KeysPerSender = 4;
    private Sink _sink = null!;
    private readonly string _folder = Directory.CreateTempSubdirectory("isthmus-crash-").FullName;
    private readonly ConcurrentDictionary<string, List<int>> _firstSeenOrder = new();
    private readonly ConcurrentDictionary<string, string> _keyById = new();
    private readonly ConcurrentDictionary<string, byte> _seenKeys = new();
    private Process? _server;
    private int _port;

    public async ValueTask InitializeAsync()
    {
        _sink = await Sink.StartAsync();
        _sink.Respond = request =>
        {
            var key = request.Header("Idempotency-Key");
            var body = request.Json;
            var id = body.GetProperty("id").GetString()!;
            _keyById.AddOrUpdate(id, key, (_, existing) => existing == key ? key : existing + "|" + key);
            if (_seenKeys.TryAdd(key, 0))
            {
                var list = _firstSeenOrder.GetOrAdd(body.GetProperty("key").GetString()!, _ => []);
                lock (list)
                {
                    list.Add(body.GetProperty("n").GetInt32());
                }
            }

            return Results.Ok();
        };
        _port = FreePort();
        var config = IsthmusApplication.Config(_sink.Url, """
              forward:
                trigger: { connection: oa, event: "*" }
                steps:
                  - action: send
                    connection: sink
                    method: POST
                    path: "/x/{{ data.key }}"
                    body: { id: "=event.id", key: "=data.key", n: "=data.n" }
            """).Replace("http://127.0.0.1:0", $"http://127.0.0.1:{_port}", StringComparison.Ordinal)
            .Replace("synchronous: normal", "synchronous: full", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_folder, "isthmus.yaml"), config);
    }

    public async ValueTask DisposeAsync()
    {
        KillServer();
        await _sink.DisposeAsync();
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task KillMinus9_DuringLoad_LosesNoAcknowledgedEvent_AndDeliversEachOnce()
    {
        var acknowledged = new ConcurrentDictionary<string, byte>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var stopLoad = new CancellationTokenSource();
        await StartServerAsync();
        var load = Enumerable.Range(0, Senders).Select(s => SendLoopAsync(http, s, acknowledged, stopLoad.Token)).ToArray();

        await Task.Delay(1500);
        KillServer(); // mid-load
        await Task.Delay(300);
        await StartServerAsync();
        await Task.Delay(150);
        KillServer(); // during recovery
        await StartServerAsync();
        await Task.Delay(1000);
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(acknowledged.Count > 100, $"the load produced only {acknowledged.Count} acknowledged events");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (acknowledged.Keys.Any(id => !_keyById.ContainsKey(id)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var missing = acknowledged.Keys.Where(id => !_keyById.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events never delivered, e.g. {string.Join(", ", missing.Take(5))}");
        var twoKeys = _keyById.Where(p => p.Value.Contains('|', StringComparison.Ordinal)).ToList();
        Assert.True(twoKeys.Count == 0, $"events delivered under more than one idempotency key: {string.Join(", ", twoKeys.Take(5))}");
        foreach (var (key, order) in _firstSeenOrder)
        {
            lock (order)
            {
                Assert.True(order.SequenceEqual(order.Order()), $"key {key} delivered out of order: {string.Join(",", order)}");
            }
        }
    }

    private async Task SendLoopAsync(HttpClient http, int sender, ConcurrentDictionary<string, byte> acknowledged, CancellationToken cancellationToken)
    {
        var counters = new int[KeysPerSender];
        var i = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var k = i++ % KeysPerSender;
            var key = $"s{sender}-k{k}";
            var n = counters[k];
            var id = $"{key}-{n}";
            var body = JsonSerializer.SerializeToUtf8Bytes(new { id, type = "load", data = new { key, n } });
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_port}/hooks/oa") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-Timestamp", ts);
            request.Headers.Add("X-Hub-Signature-256", Signing.HubSignature(IsthmusApplication.Secret, System.Text.Encoding.UTF8.GetBytes(ts + ".").Concat(body).ToArray()));
            try
            {
                using var response = await http.SendAsync(request, CancellationToken.None);
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    acknowledged.TryAdd(id, 0);
                    counters[k]++; // Only move on once acknowledged, so per-key order is defined by the sender.
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(20, CancellationToken.None); // The server is down; resend the same event.
            }
        }
    }

    private async Task StartServerAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "isthmus.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", dll, "serve", "--config", Path.Combine(_folder, "isthmus.yaml")])
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ISTHMUS_ADMIN_KEY"] = IsthmusApplication.AdminKey;
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_server.HasExited, $"isthmus exited with code {(_server.HasExited ? _server.ExitCode : 0)}");
            try
            {
                if ((await probe.GetAsync(new Uri($"http://127.0.0.1:{_port}/readyz"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("isthmus did not become ready");
    }

    private void KillServer()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs.
            _server.WaitForExit();
        }

        _server?.Dispose();
        _server = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
