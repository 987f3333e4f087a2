using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Isthmus.Connectors.Tests.AgoraChat;

/// <summary>A loopback endpoint that keeps the bodies posted to it and answers 200.</summary>
internal sealed class CallbackCapture : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CallbackCapture(WebApplication app) => _app = app;

    public List<byte[]> Bodies { get; } = [];

    public string Url { get; private set; } = "";

    public static async Task<CallbackCapture> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var capture = new CallbackCapture(app);
        app.MapPost("/hooks/chat", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            lock (capture.Bodies)
            {
                capture.Bodies.Add(buffer.ToArray());
            }

            return Results.Text("ok");
        });
        await app.StartAsync();
        capture.Url = app.Urls.First() + "/hooks/chat";
        return capture;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
