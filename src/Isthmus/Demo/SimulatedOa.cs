using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Isthmus.Demo;

/// <summary>An OA for the demo: approvals move submitted → in_review → approved/rejected; orders are created now and then. Each change is a signed webhook.</summary>
/// <param name="requests">Whether to also send approval requests for the chat approvers (when a chat platform runs).</param>
internal sealed class SimulatedOa(Uri hook, string secret, bool requests = false) : IDisposable
{
    private static readonly string[] Approvers = ["Li Wei", "Zhang Min", "Wang Fang", "Chen Jie"];
    private static readonly string[] Customers = ["Acme", "Globex", "Initech", "Umbrella"];
    private readonly HttpClient _http = new();
    private readonly Dictionary<int, string> _approvals = [];
    private int _next;

    public int Sent { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(700));
        var tick = 0;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (requests && tick++ % 8 == 0)
            {
                await RequestApprovalAsync(cancellationToken);
            }

            await StepApprovalAsync(cancellationToken);
            if (Random.Shared.Next(3) == 0)
            {
                var id = Interlocked.Increment(ref _next);
                var amount = Random.Shared.Next(5) == 0 ? -1 : Random.Shared.Next(5_000, 250_000);
                await SendAsync("order.created", new { id = $"SO-{id:D4}", amount, customer = new { name = Customers[id % 4], credit = id % 2 == 0 ? "A" : "B" } }, cancellationToken);
            }
        }
    }

    private async Task RequestApprovalAsync(CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _next);
        var approver = DemoChat.People[id % DemoChat.People.Length];
        var requester = DemoChat.People[(id + 1) % DemoChat.People.Length];
        await SendAsync("approval.requested", new
        {
            id = $"PR-{id:D4}",
            title = $"Purchase request {id}: {Customers[id % 4]} laptops",
            amount = Random.Shared.Next(2_000, 90_000),
            requester = requester.Name,
            requesterEmail = requester.Email,
            approverEmail = approver.Email,
        }, cancellationToken);
    }

    private async Task StepApprovalAsync(CancellationToken cancellationToken)
    {
        if (_approvals.Count < 4)
        {
            _approvals[Interlocked.Increment(ref _next)] = "submitted";
        }

        var (id, status) = _approvals.ElementAt(Random.Shared.Next(_approvals.Count));
        var next = status switch
        {
            "submitted" => "in_review",
            _ => Random.Shared.Next(4) == 0 ? "rejected" : "approved",
        };
        if (next is "approved" or "rejected")
        {
            _approvals.Remove(id);
        }
        else
        {
            _approvals[id] = next;
        }

        await SendAsync("approval.updated", new { id = $"AP-{id:D4}", title = $"Purchase request {id}", status = next, approver = Approvers[id % 4] }, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private async Task SendAsync(string type, object data, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { type, data });
        using var request = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Event-Id", Guid.NewGuid().ToString("N"));
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            Sent++;
        }
        catch (HttpRequestException)
        {
            // Isthmus is stopping; the demo ends with it.
        }
    }
}
