using System.Collections.Concurrent;

namespace Isthmus.Demo;

/// <summary>
/// A downstream system for the demo: accepts decisions and orders, answers 503 now and then (so retries show),
/// refuses orders with a negative amount (so a dead letter shows), and dedups by Idempotency-Key.
/// </summary>
internal sealed class SimulatedErp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    private SimulatedErp(WebApplication app) => _app = app;

    public int Received => _seen.Count;

    public int Duplicates;

    public int Port { get; private set; }

    public static async Task<SimulatedErp> StartAsync(double failureRate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var erp = new SimulatedErp(app);
        app.MapPost("/api/{**path}", async (HttpContext http) =>
        {
            if (Random.Shared.NextDouble() < failureRate)
            {
                return Results.StatusCode(503);
            }

            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (body.Contains("\"amount\":-", StringComparison.Ordinal))
            {
                return Results.Problem(statusCode: 422, detail: "amount must not be negative");
            }

            var key = http.Request.Headers["Idempotency-Key"].ToString();
            if (!erp._seen.TryAdd(key, 0))
            {
                Interlocked.Increment(ref erp.Duplicates);
            }

            return Results.Ok(new { ok = true });
        });
        await app.StartAsync();
        erp.Port = new Uri(app.Urls.First()).Port;
        return erp;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
