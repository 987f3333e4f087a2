using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Isthmus.Benchmarks;

/// <summary>
/// The receiving end of the flow under test: a Kestrel server on 127.0.0.1 that answers every
/// <c>POST /sink/{orderId}</c> with 200 and records, per delivery, its arrival time, the latency from the
/// event's <c>sentAt</c>, and whether its <c>Idempotency-Key</c> was already seen.
/// </summary>
public sealed class Sink : IAsyncDisposable
{
    const int MaxBodyBytes = 1 << 20;

    readonly WebApplication _app;
    readonly KeySet _seenKeys = new();
    SinkPhase? _current;
    long _received;
    long _duplicates;
    long _missingKey;
    long _missingSentAt;

    Sink(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public long Received => Interlocked.Read(ref _received);
    public long Duplicates => Interlocked.Read(ref _duplicates);
    public long MissingKey => Interlocked.Read(ref _missingKey);
    public long MissingSentAt => Interlocked.Read(ref _missingSentAt);

    public static async Task<Sink> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
        var app = builder.Build();
        var sink = new Sink(app);
        app.MapPost("/sink/{orderId}", sink.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseUrl = new Uri(address);
        return sink;
    }

    /// <summary>Starts attributing deliveries of events sent from now on to a new phase.</summary>
    public SinkPhase BeginPhase()
    {
        var phase = new SinkPhase(Clock.NowUs());
        Volatile.Write(ref _current, phase);
        return phase;
    }

    async Task HandleAsync(HttpContext context)
    {
        long arrival = Clock.NowUs();
        long sentAt = await ReadSentAtAsync(context.Request.BodyReader);
        string? key = context.Request.Headers["Idempotency-Key"];
        Interlocked.Increment(ref _received);
        bool duplicate = false;
        if (string.IsNullOrEmpty(key))
        {
            Interlocked.Increment(ref _missingKey);
        }
        else if (!_seenKeys.Add(key))
        {
            duplicate = true;
            Interlocked.Increment(ref _duplicates);
        }

        if (sentAt < 0)
        {
            Interlocked.Increment(ref _missingSentAt);
        }

        Volatile.Read(ref _current)?.Record(arrival, sentAt, duplicate);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Reads the whole body and returns its top-level <c>sentAt</c> number (or numeric string), or -1.</summary>
    static async Task<long> ReadSentAtAsync(PipeReader reader)
    {
        for (int i = 0; i < 10_000; i++)
        {
            var read = await reader.ReadAsync();
            if (read.IsCompleted || read.Buffer.Length > MaxBodyBytes)
            {
                long value = FindSentAt(read.Buffer);
                reader.AdvanceTo(read.Buffer.End);
                return value;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        return -1;
    }

    internal static long FindSentAt(ReadOnlySequence<byte> body)
    {
        try
        {
            var json = new Utf8JsonReader(body);
            while (json.Read())
            {
                if (json.TokenType == JsonTokenType.PropertyName && json.CurrentDepth == 1 && json.ValueTextEquals("sentAt"u8))
                {
                    json.Read();
                    return json.TokenType switch
                    {
                        JsonTokenType.Number when json.TryGetInt64(out long l) => l,
                        JsonTokenType.Number when json.TryGetDouble(out double d) => (long)d,
                        JsonTokenType.String when long.TryParse(json.GetString(), out long s) => s,
                        _ => -1,
                    };
                }
            }
        }
        catch (JsonException)
        {
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}

/// <summary>
/// Deliveries of the events one phase sent. Deliveries of events sent before the phase began (a previous
/// phase's backlog) are counted as <see cref="Stale"/> and kept out of the latency figures.
/// </summary>
public sealed class SinkPhase
{
    readonly LatencyRecorder _latency = new();
    long _windowEndUs = long.MaxValue;
    long _delivered;
    long _inWindow;
    long _duplicates;
    long _stale;
    long _lastArrivalUs;

    public SinkPhase(long startUs) => StartUs = startUs;

    public long StartUs { get; }
    public long Delivered => Interlocked.Read(ref _delivered);
    public long DeliveredInWindow => Interlocked.Read(ref _inWindow);
    public long Duplicates => Interlocked.Read(ref _duplicates);
    public long Stale => Interlocked.Read(ref _stale);
    public long LastArrivalUs => Interlocked.Read(ref _lastArrivalUs);

    /// <summary>Marks the end of the send window; deliveries after it count towards the drain.</summary>
    public void CloseWindow() => Interlocked.Exchange(ref _windowEndUs, Clock.NowUs());

    public LatencySummary Latency() => _latency.Summarize();

    internal void Record(long arrivalUs, long sentAtUs, bool duplicate)
    {
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        if (sentAtUs >= 0 && sentAtUs < StartUs)
        {
            Interlocked.Increment(ref _stale);
            return;
        }

        Interlocked.Increment(ref _delivered);
        if (arrivalUs <= Interlocked.Read(ref _windowEndUs))
        {
            Interlocked.Increment(ref _inWindow);
        }

        if (sentAtUs >= 0)
        {
            _latency.Record(arrivalUs - sentAtUs);
        }

        long last = Interlocked.Read(ref _lastArrivalUs);
        for (int i = 0; i < 64 && arrivalUs > last; i++)
        {
            long seen = Interlocked.CompareExchange(ref _lastArrivalUs, arrivalUs, last);
            if (seen == last)
            {
                break;
            }

            last = seen;
        }
    }
}
