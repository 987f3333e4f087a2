using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Isthmus.Benchmarks;

/// <summary>
/// Servers this executable runs as a separate process: the raw Kestrel ceiling, and a non-durable
/// stand-in for isthmus used only to check the harness itself.
/// </summary>
public static partial class ReferenceServers
{
    public const string ListeningPrefix = "listening on ";

    /// <summary>Longest a reference server lives, should its parent never stop it.</summary>
    static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The ceiling: the least an HTTP endpoint can do for a webhook — read the body, answer 202 — on the
    /// same Kestrel, runtime and GC settings as isthmus. Binds 127.0.0.1:0 and prints the address.
    /// </summary>
    public static async Task<int> RunCeilingAsync(int parentPid)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hooks/{connection}", async context =>
        {
            await DrainAsync(context.Request);
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        });
        app.MapGet("/readyz", () => Results.Ok());
        return await RunUntilStoppedAsync(app, parentPid);
    }

    /// <summary>
    /// A non-durable stand-in for isthmus with the same HTTP contract, used to prove the harness when no
    /// isthmus build is available: verifies the signature, deduplicates ids in memory, answers 202, and
    /// forwards each event to the sink from an in-memory queue. Its numbers mean nothing about isthmus.
    /// </summary>
    public static async Task<int> RunStandInAsync(string configPath, int parentPid)
    {
        string yaml = await File.ReadAllTextAsync(configPath);
        var listen = ListenPattern().Match(yaml);
        var sinkUrl = BaseUrlPattern().Match(yaml);
        if (!listen.Success || !sinkUrl.Success)
        {
            await Console.Error.WriteLineAsync($"{configPath}: server.listen or connections.sink.baseUrl is missing");
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen.Groups[1].Value);
        var app = builder.Build();
        var seen = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var queue = Channel.CreateBounded<(string Id, string OrderId, byte[] Body)>(200_000);
        using var client = LoadGenerator.CreateClient(64);
        var sinkBase = new Uri(sinkUrl.Groups[1].Value);

        app.MapPost("/hooks/{connection}", async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var body = buffer.ToArray();
            if (context.Request.Headers[EventFactory.SignatureHeader] != EventFactory.Sign(body))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string id = root.GetProperty("id").GetString()!;
            if (!seen.TryAdd(id, 0))
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                return;
            }

            var data = root.GetProperty("data");
            string orderId = data.GetProperty("orderId").GetString()!;
            var output = new MemoryStream();
            using (var w = new Utf8JsonWriter(output))
            {
                w.WriteStartObject();
                w.WriteString("orderId", orderId);
                w.WritePropertyName("amount");
                data.GetProperty("amount").WriteTo(w);
                w.WritePropertyName("sentAt");
                data.GetProperty("sentAt").WriteTo(w);
                w.WriteString("status", data.GetProperty("status").GetString()!.ToUpperInvariant());
                w.WriteEndObject();
            }

            context.Response.StatusCode = queue.Writer.TryWrite((id, orderId, output.ToArray()))
                ? StatusCodes.Status202Accepted
                : StatusCodes.Status503ServiceUnavailable;
        });
        app.MapGet("/readyz", () => Results.Ok());

        using var stopping = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var item in queue.Reader.ReadAllAsync(stopping.Token))
                {
                    for (int attempt = 0; attempt < 3; attempt++)
                    {
                        try
                        {
                            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sinkBase, "/sink/" + Uri.EscapeDataString(item.OrderId)))
                            {
                                Content = new ByteArrayContent(item.Body),
                            };
                            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                            request.Headers.TryAddWithoutValidation("Idempotency-Key", item.Id + ":forward-approved:1");
                            using var response = await client.SendAsync(request, stopping.Token);
                            if (response.StatusCode == HttpStatusCode.OK)
                            {
                                break;
                            }
                        }
                        catch (HttpRequestException)
                        {
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        int code = await RunUntilStoppedAsync(app, parentPid);
        await stopping.CancelAsync();
        await Task.WhenAll(workers);
        return code;
    }

    static async Task<int> RunUntilStoppedAsync(WebApplication app, int parentPid)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine(ListeningPrefix + address);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();

        // Stop on SIGTERM (host lifetime), when the parent is gone, or at the lifetime cap.
        int checks = (int)MaxLifetime.TotalSeconds;
        for (int i = 0; i < checks && !lifetime.ApplicationStopping.IsCancellationRequested; i++)
        {
            if (parentPid > 0 && !IsAlive(parentPid))
            {
                break;
            }

            try
            {
                await Task.Delay(1000, lifetime.ApplicationStopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }

    static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    static async Task DrainAsync(HttpRequest request)
    {
        var reader = request.BodyReader;
        for (int i = 0; i < 100_000; i++)
        {
            var read = await reader.ReadAsync();
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    [GeneratedRegex(@"^\s*listen:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ListenPattern();

    [GeneratedRegex(@"^\s*baseUrl:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex BaseUrlPattern();
}
