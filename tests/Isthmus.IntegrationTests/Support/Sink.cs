using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Isthmus.IntegrationTests.Support;

/// <summary>A downstream system on 127.0.0.1 that records every request and can be told to fail.</summary>
public sealed class Sink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Sink(WebApplication app) => _app = app;

    public ConcurrentQueue<SinkRequest> Requests { get; } = new();

    /// <summary>Decides the answer to each request; default 200.</summary>
    public Func<SinkRequest, IResult> Respond { get; set; } = _ => Results.Ok(new { ok = true });

    public string Url { get; private set; } = "";

    public static async Task<Sink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var sink = new Sink(app);
        app.Map("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var request = new SinkRequest(http.Request.Method, http.Request.Path + http.Request.QueryString,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
            sink.Requests.Enqueue(request);
            return sink.Respond(request);
        });
        await app.StartAsync();
        sink.Url = app.Urls.First();
        return sink;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the requests, or fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<SinkRequest>> WaitForAsync(Func<IReadOnlyList<SinkRequest>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var snapshot = Requests.ToList();
            if (condition(snapshot))
            {
                return snapshot;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The sink's condition did not hold; it received {snapshot.Count} requests: " +
                    string.Join("; ", snapshot.Take(10).Select(r => $"{r.Method} {r.Path}")));
            }

            await Task.Delay(20);
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

public sealed record SinkRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : "";
}
