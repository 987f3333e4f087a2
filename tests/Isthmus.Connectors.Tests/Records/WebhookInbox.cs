using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>A receiver on 127.0.0.1 that keeps every call as an <see cref="InboundRequest"/>; the first <see cref="FailFirst"/> calls answer 500.</summary>
internal sealed class WebhookInbox : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private WebhookInbox(WebApplication app) => _app = app;

    public ConcurrentQueue<InboundRequest> Received { get; } = new();

    public int FailFirst { get; set; }

    public int Calls => _calls;

    public string Url { get; private set; } = "";

    public static async Task<WebhookInbox> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var inbox = new WebhookInbox(app);
        app.MapPost("/hooks/crm-changes", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            if (Interlocked.Increment(ref inbox._calls) <= inbox.FailFirst)
            {
                return Results.StatusCode(500);
            }

            var headers = c.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            inbox.Received.Enqueue(new InboundRequest("POST", c.Request.Path, new Dictionary<string, string>(), headers, body.ToArray(), c.Request.ContentType));
            return Results.Accepted();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        inbox.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks/crm-changes";
        return inbox;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
