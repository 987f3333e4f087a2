using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Isthmus.Emulators.Records;

/// <summary>
/// Sends change notifications from one background loop, so an API call never waits for a subscriber and every
/// subscriber sees changes in change order. A failed call is retried a few times before the next change is sent.
/// Each call is signed: <c>X-Records-Timestamp: unix seconds</c> and
/// <c>X-Records-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))</c>.
/// </summary>
internal sealed class WebhookSender : IAsyncDisposable
{
    public const string SignatureHeader = "X-Records-Signature";
    public const string TimestampHeader = "X-Records-Timestamp";

    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];
    private readonly Channel<Notification> _queue = Channel.CreateUnbounded<Notification>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly int _retries;
    private readonly Task _loop;
    private readonly string _instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private long _pending;
    private long _sent;
    private long _failed;
    private long _dropped;

    public WebhookSender(TimeProvider time, int retries)
    {
        _time = time;
        _retries = Math.Max(0, retries);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Subscribers; copied per change, so a later subscriber hears only later changes.</summary>
    public List<WebhookSubscription> Subscribers { get; } = [];

    public long Sent => Interlocked.Read(ref _sent);

    public long Failed => Interlocked.Read(ref _failed);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Queues one change (called under the store's lock, so the queue is in change order).</summary>
    public void Enqueue(RecordChange change, Func<bool> drop)
    {
        WebhookSubscription[] targets;
        lock (Subscribers)
        {
            targets = [.. Subscribers];
        }

        if (targets.Length == 0)
        {
            return;
        }

        if (drop())
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var body = new JsonObject
        {
            ["id"] = $"{_instance}-{change.Record.Seq}",
            ["type"] = $"{change.Type}.{change.Kind}",
            ["recordType"] = change.Type,
            ["recordId"] = change.Record.Id,
            ["version"] = change.Record.Version,
            ["time"] = StoredRecord.FormatTime(change.Record.UpdatedAt),
            ["record"] = change.Record.ToJson(),
        };
        Interlocked.Increment(ref _pending);
        _queue.Writer.TryWrite(new Notification(Encoding.UTF8.GetBytes(body.ToJsonString()), targets));
    }

    /// <summary>Signs <paramref name="body"/> as sent at <paramref name="timestamp"/> (unix seconds).</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, signed);
        signed[timestamp.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(timestamp.Length + 1));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var target in notification.Targets)
                {
                    await SendAsync(notification.Body, target, _stop.Token).ConfigureAwait(false);
                }

                Interlocked.Decrement(ref _pending);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendAsync(byte[] body, WebhookSubscription target, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt <= _retries; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(Backoff[Math.Min(attempt - 1, Backoff.Length - 1)], cancellationToken).ConfigureAwait(false);
            }

            // Signed anew on each attempt, as a retry is a new call with a fresh timestamp.
            var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(SignatureHeader, Sign(target.Secret, timestamp, body));
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _sent);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Refused or timed out: retried below like an error answer.
            }
        }

        Interlocked.Increment(ref _failed);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _http.Dispose();
    }

    private sealed record Notification(byte[] Body, WebhookSubscription[] Targets);
}
