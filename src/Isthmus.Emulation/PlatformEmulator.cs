using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Isthmus.Emulation;

/// <summary>
/// A local stand-in for one chat platform: the platform's API endpoints the connector calls (tokens that expire,
/// send limits, error codes) and callbacks to Isthmus signed and encrypted as the platform does. Every emulator
/// also serves the same control API under <c>/_emulator/</c> (docs/emulators.md): read what the bot sent, add users,
/// press a card button or post a message as a user, expire tokens, list callbacks made.
/// </summary>
public abstract class PlatformEmulator(EmulatorOptions options) : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly HttpClient _callbacks = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The platform's name as used by <c>isthmus emulate</c>, e.g. <c>feishu</c>.</summary>
    public abstract string Platform { get; }

    /// <summary>The options it runs with.</summary>
    public EmulatorOptions Options { get; } = options;

    /// <summary>Users, messages, tokens and callbacks.</summary>
    public EmulatorState State { get; } = new(options.Time);

    /// <summary>The base URL once started, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Where callbacks go; settable after start (the demo learns Isthmus's port late).</summary>
    public string? CallbackUrl { get; set; } = options.CallbackUrl;

    /// <summary>Maps the platform's own API endpoints.</summary>
    protected abstract void MapPlatformApi(IEndpointRouteBuilder app);

    /// <summary>Sends the card-button callback for <paramref name="press"/>; returns Isthmus's answer to the last delivery.</summary>
    public abstract Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default);

    /// <summary>Sends the message callback for <paramref name="say"/>; returns Isthmus's answer to the last delivery.</summary>
    public abstract Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default);

    /// <summary>The connection settings that point Isthmus at this emulator (base URLs, keys, secrets).</summary>
    public abstract EmulatorConnection Connection();

    /// <summary>Starts listening on 127.0.0.1.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Options.Port}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);
        _app = builder.Build();
        MapControl(_app);
        MapPlatformApi(_app);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>
    /// Delivers one callback <paramref name="repeat"/> times (the platform's retries), recording each answer.
    /// <paramref name="build"/> makes a fresh request each time, as the platform signs each delivery anew.
    /// </summary>
    protected async Task<CallbackRecord> CallbackAsync(string kind, Func<HttpRequestMessage> build, int repeat, CancellationToken cancellationToken)
    {
        CallbackRecord? last = null;
        for (var i = 0; i < Math.Max(1, repeat); i++)
        {
            using var request = build();
            try
            {
                using var response = await _callbacks.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                last = new CallbackRecord(State.Time.GetUtcNow(), kind, request.RequestUri!.ToString(), (int)response.StatusCode, body);
            }
            catch (HttpRequestException ex)
            {
                last = new CallbackRecord(State.Time.GetUtcNow(), kind, request.RequestUri!.ToString(), 0, ex.Message);
            }

            State.Record(last);
        }

        return last!;
    }

    /// <summary>The callback URL, or a clear error when none was given.</summary>
    protected Uri RequireCallbackUrl() => CallbackUrl is { Length: > 0 } url ? new Uri(url)
        : throw new InvalidOperationException($"The {Platform} emulator has no callback URL; start it with --callback http://127.0.0.1:<port>/hooks/<connection>.");

    /// <summary>A JSON body for a callback.</summary>
    protected static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private void MapControl(WebApplication app)
    {
        var control = app.MapGroup("/_emulator");
        control.MapGet("/sent", () => Results.Json(State.Messages.Select(View)));
        control.MapGet("/users", () => Results.Json(State.Users.Values));
        control.MapPost("/users", (EmulatedUser user) => Results.Json(State.AddUser(user)));
        control.MapGet("/callbacks", () => Results.Json(State.Callbacks));
        control.MapGet("/connection", () => Results.Json(Connection()));
        control.MapPost("/tokens/expire", () =>
        {
            State.ExpireTokens();
            return Results.NoContent();
        });
        control.MapPost("/press", async (PressRequest press, CancellationToken ct) => await Control(() => PressAsync(press, ct)));
        control.MapPost("/say", async (SayRequest say, CancellationToken ct) => await Control(() => SayAsync(say, ct)));
    }

    private static async Task<IResult> Control(Func<Task<CallbackRecord>> act)
    {
        try
        {
            return Results.Json(await act().ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            return Results.Problem(ex.Message, statusCode: 400);
        }
    }

    private static object View(SentMessage m) => new
    {
        m.Id, m.Via, m.To, m.Kind, m.Text, m.CurrentText, m.CardId, m.At, Content = m.Content, Updates = m.Updates,
    };

    /// <summary>UTF-8 bytes of a JSON value.</summary>
    protected static byte[] Utf8(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    /// <summary>UTF-8 bytes of text.</summary>
    protected static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _callbacks.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }
}
