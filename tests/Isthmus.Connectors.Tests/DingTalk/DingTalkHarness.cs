using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.DingTalk;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Isthmus.Connectors.Tests.DingTalk;

/// <summary>
/// The DingTalk emulator and a DingTalk connection pointed at it, with a loopback hook that hands every callback to
/// the connection's <c>ReceiveAsync</c> and writes its reply, as the host does.
/// </summary>
internal sealed class DingTalkHarness : IAsyncDisposable
{
    private WebApplication _hook = null!;

    public DingTalkEmulator Emulator { get; private set; } = null!;

    public DingTalkConnector Connector { get; private set; } = null!;

    public ConcurrentQueue<EventDraft> Events { get; } = new();

    public ConcurrentQueue<int> Statuses { get; } = new();

    public static async Task<DingTalkHarness> StartAsync(string extra = "", double rateLimitScale = 1, string botRate = "20/1m")
    {
        var harness = new DingTalkHarness();
        harness.Emulator = new DingTalkEmulator(new EmulatorOptions { RateLimitScale = rateLimitScale });
        await harness.Emulator.StartAsync(TestContext.Current.CancellationToken);
        harness.Connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(), Settings(harness.Emulator.BaseUrl, botRate) + extra);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        harness._hook = builder.Build();
        harness._hook.MapPost("/hooks/oa", harness.HandleAsync);
        await harness._hook.StartAsync(TestContext.Current.CancellationToken);
        harness.Emulator.CallbackUrl = harness._hook.Urls.First() + "/hooks/oa";
        return harness;
    }

    public static string Settings(string baseUrl, string botRate = "20/1m") => $$"""
        appKey: {{DingTalkEmulator.AppKey}}
        appSecret: {{DingTalkEmulator.AppSecret}}
        token: {{DingTalkEmulator.CallbackToken}}
        aesKey: {{DingTalkEmulator.AesKey}}
        apiBaseUrl: {{baseUrl}}
        oapiBaseUrl: {{baseUrl}}
        cardTemplateId: {{DingTalkEmulator.CardTemplateId}}
        bots:
          ops: { accessToken: {{DingTalkEmulator.BotAccessToken}}, secret: {{DingTalkEmulator.BotSecret}}, rateLimit: {{botRate}} }

        """;

    public Task<DeliveryReceipt> DeliverAsync(string action, object payload, string? key = null) =>
        Connector.DeliverAsync(new Delivery(1, "oa", action, JsonSerializer.SerializeToUtf8Bytes(payload), key ?? Guid.NewGuid().ToString("N"), 1, null),
            TestContext.Current.CancellationToken).AsTask();

    public static T Data<T>(EventDraft draft) => JsonSerializer.Deserialize<T>(draft.Data.Span, Isthmus.Connectors.Chat.ChatEvents.Json)!;

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var request = new InboundRequest("POST", http.Request.Path,
            http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            buffer.ToArray(), http.Request.ContentType);
        try
        {
            var inbound = await Connector.ReceiveAsync(request, http.RequestAborted);
            foreach (var e in inbound.Events)
            {
                Events.Enqueue(e);
            }

            var reply = inbound.Reply!;
            Statuses.Enqueue(reply.StatusCode);
            http.Response.StatusCode = reply.StatusCode;
            http.Response.ContentType = reply.ContentType;
            await http.Response.Body.WriteAsync(reply.Body);
        }
        catch (InboundRejectedException ex)
        {
            Statuses.Enqueue(ex.StatusCode);
            http.Response.StatusCode = ex.StatusCode;
            await http.Response.WriteAsync(ex.ReasonCode + ": " + ex.Message, Encoding.UTF8);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connector.DisposeAsync();
        await Emulator.DisposeAsync();
        await _hook.DisposeAsync();
    }
}
