using System.Collections.Concurrent;
using System.Net;

namespace Isthmus.Connectors.Tests.Http;

/// <summary>
/// Stands in for the platform behind an <c>http</c> connection: answers through a delegate, records what it
/// received, and measures how many calls were in flight at once.
/// </summary>
internal sealed class FakePlatform(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<Received> Calls { get; } = new();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    public static FakePlatform Answer(HttpStatusCode status, string body = "", Action<HttpResponseMessage>? configure = null) =>
        new((_, _) =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body) };
            configure?.Invoke(response);
            return Task.FromResult(response);
        });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Calls.Enqueue(new Received(request, body));
            return await answer(request, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public sealed record Received(HttpRequestMessage Request, string? Body)
    {
        public string? Header(string name) =>
            Request.Headers.TryGetValues(name, out var values) || (Request.Content?.Headers.TryGetValues(name, out values) ?? false)
                ? string.Join(",", values)
                : null;
    }
}
