using Isthmus.Hosting;

namespace Isthmus.Api;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the store is open and the engine runs.</summary>
internal static class HealthEndpoints
{
    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok")).ExcludeFromDescription();
        app.MapGet("/readyz", (HostState s) => s.Ready ? Results.Text("ready") : Results.Text("starting", statusCode: 503)).ExcludeFromDescription();
    }
}
