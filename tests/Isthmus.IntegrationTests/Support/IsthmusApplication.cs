using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Isthmus.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Isthmus.IntegrationTests.Support;

/// <summary>The real Isthmus host on a loopback port with its own SQLite file and a sink to deliver to.</summary>
public sealed class IsthmusApplication : IAsyncDisposable
{
    public const string Secret = "test-secret";
    public const string AdminKey = "ism_test_admin_key_0123456789";

    private WebApplication _app = null!;

    public Sink Sink { get; private set; } = null!;

    public string Folder { get; } = Directory.CreateTempSubdirectory("isthmus-test-").FullName;

    public string ConfigPath => Path.Combine(Folder, "isthmus.yaml");

    public HttpClient Http { get; private set; } = null!;

    public HostState State => _app.Services.GetRequiredService<HostState>();

    public IServiceProvider Services => _app.Services;

    /// <summary>A configuration with connections <c>oa</c> (webhook, HMAC) and <c>sink</c> (http), plus <paramref name="flows"/>.</summary>
    public static string Config(string sinkUrl, string flows, string extra = "") => $$"""
        server:
          listen: http://127.0.0.1:0
          maxBodySize: 64KB
        store:
          path: isthmus.db
          synchronous: normal
        deliveries:
          maxAttempts: 3
          baseDelay: 50ms
          maxDelay: 200ms
        connections:
          oa:
            kind: webhook
            auth: { type: hmac-sha256, secret: {{Secret}}, header: X-Hub-Signature-256, prefix: "sha256=", timestampHeader: X-Timestamp, tolerance: 5m }
            eventId: { path: id }
            eventType: { path: type }
            key: { path: data.key }
            data: { path: data }
          sink:
            kind: http
            baseUrl: {{sinkUrl}}
            timeout: 2s
        {{extra}}
        flows:
        {{flows}}
        """;

    public static async Task<IsthmusApplication> StartAsync(string flows, string extra = "")
    {
        var app = new IsthmusApplication { Sink = await Sink.StartAsync() };
        await File.WriteAllTextAsync(app.ConfigPath, Config(app.Sink.Url, flows, extra));
        await app.StartHostAsync();
        return app;
    }

    /// <summary>Starts the host with <paramref name="yaml"/> as the whole configuration (no <c>oa</c> or <c>sink</c> connections added).</summary>
    public static async Task<IsthmusApplication> StartWithConfigAsync(string yaml)
    {
        var app = new IsthmusApplication { Sink = await Sink.StartAsync() };
        await File.WriteAllTextAsync(app.ConfigPath, yaml);
        await app.StartHostAsync();
        return app;
    }

    public async Task StartHostAsync()
    {
        Environment.SetEnvironmentVariable("ISTHMUS_ADMIN_KEY", AdminKey);
        _app = await IsthmusHost.BuildAsync(ConfigPath, configure: b => b.Logging.ClearProviders());
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    /// <summary>Posts a signed event to <c>/hooks/oa</c>.</summary>
    public Task<HttpResponseMessage> SendAsync(object body, Action<HttpRequestMessage>? tweak = null) =>
        SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(body), tweak);

    public async Task<HttpResponseMessage> SendRawAsync(byte[] body, Action<HttpRequestMessage>? tweak = null, string hook = "oa")
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{hook}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Timestamp", timestamp);
        request.Headers.Add("X-Hub-Signature-256", Signing.HubSignature(Secret, signed));
        tweak?.Invoke(request);
        return await Http.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path) => await Http.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Sink.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public async Task StopHostAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
