using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.DingTalk;

/// <summary>
/// The real host and the DingTalk emulator over HTTP on 127.0.0.1: an OA approval request becomes a card for the
/// approver (found by mobile), the approver's press comes back encrypted and signed, the decision goes to the OA,
/// the card is updated in place, and the OA's confirmation tells the requester.
/// </summary>
public sealed class DingTalkEndToEndTests : IAsyncLifetime
{
    private const string Flows = """
          approval-requested:
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card
                connection: ding
                do: send-card
                to: { mobile: "=data.approverMobile" }
                card:
                  id: "=data.key"
                  title: "{{ data.title }}"
                  fields: { Requester: "=data.requesterName", Amount: "=data.amount" }
                  askComment: true
                  context: { requesterMobile: "=data.requesterMobile" }
          card-pressed:
            trigger: { connection: ding, event: card.action }
            steps:
              - action: decision
                connection: sink
                method: POST
                path: "/approvals/{{ data.cardId }}/decision"
                body: { decision: "=data.action", approver: "=data.user.id", comment: "=data.comment" }
              - action: update
                connection: ding
                do: update-card
                message: "=data.message"
                card:
                  id: "=data.cardId"
                  title: "Request {{ data.cardId }}"
                  status: "{{ data.action == 'approve' ? 'Approved' : 'Rejected' }} by {{ data.user.id }} at {{ formatDate(now(), 'HH:mm', 'Asia/Shanghai') }}"
              - action: tell
                connection: ding
                do: send-text
                to: { mobile: "=data.context.requesterMobile" }
                text: "Your request {{ data.cardId }} was {{ data.action == 'approve' ? 'approved' : 'rejected' }}"
          keyword-to-todo:
            trigger: { connection: ding, event: message.received }
            when: "contains(lower(data.text), 'expense') || data.important"
            steps:
              - action: todo
                connection: sink
                method: POST
                path: /todos
                body: { text: "=data.text", from: "=data.sender.id", messageId: "=data.messageId" }
        """;

    private DingTalkEmulator _emulator = null!;
    private IsthmusApplication _app = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _emulator = new DingTalkEmulator(new EmulatorOptions());
        await _emulator.StartAsync(Ct);
        _app = await IsthmusApplication.StartAsync(Flows, _emulator.Connection().ToYaml("ding"));
        _emulator.CallbackUrl = new Uri(_app.Http.BaseAddress!, "/hooks/ding").ToString();
    }

    [Fact]
    public async Task An_approval_is_carded_approved_reported_updated_and_told()
    {
        var card = await RequestApprovalAsync("REQ-1");

        var press = await _emulator.PressAsync(new PressRequest(card.Id, "approve", "manager001"), Ct);

        Assert.Equal(200, press.Status);
        Assert.True(_emulator.IsSuccessAck(press.Body), press.Body);
        var decision = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/REQ-1/decision"))).Single(x => x.Path == "/approvals/REQ-1/decision");
        Assert.Equal("approve", decision.Json.GetProperty("decision").GetString());
        Assert.Equal("manager001", decision.Json.GetProperty("approver").GetString());
        await WaitAsync(() => card.Updates.Count > 0);
        Assert.Matches("Approved by manager001 at \\d\\d:\\d\\d", card.CurrentText);

        var told = await WaitForAsync(m => m.Kind == "text" && m.To == "staff002");
        Assert.Equal("Your request REQ-1 was approved", told.Text);
    }

    [Fact]
    public async Task A_rejection_with_a_comment_delivered_twice_is_processed_once()
    {
        var card = await RequestApprovalAsync("REQ-2");

        var press = await _emulator.PressAsync(new PressRequest(card.Id, "reject", "manager001", "Budget exceeded", Repeat: 2), Ct);

        Assert.Equal([200, 200], _emulator.State.Callbacks.Where(c => c.Kind == "card").Select(c => c.Status));
        Assert.True(_emulator.IsSuccessAck(press.Body), press.Body);
        // The decision and the card update are separate deliveries; wait for both.
        await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/REQ-2/decision"));
        await WaitAsync(() => card.Updates.Count > 0);
        Assert.Contains("Rejected by manager001", card.CurrentText, StringComparison.Ordinal);
        var decisions = _app.Sink.Requests.Where(x => x.Path == "/approvals/REQ-2/decision").ToList();
        var decision = Assert.Single(decisions);
        Assert.Equal("reject", decision.Json.GetProperty("decision").GetString());
        Assert.Equal("Budget exceeded", decision.Json.GetProperty("comment").GetString());
        Assert.Single(card.Updates);
    }

    [Fact]
    public async Task A_keyword_message_said_twice_makes_one_todo()
    {
        await _emulator.SayAsync(new SayRequest("staff002", "Expense report #12 needs a look", Chat: "cidFinance", Repeat: 2), Ct);
        await _emulator.SayAsync(new SayRequest("staff002", "lunch?", Chat: "cidFinance"), Ct);
        await _emulator.SayAsync(new SayRequest("staff002", "expense report #13", Chat: "cidFinance"), Ct);

        // Messages of one chat are processed in order: once #13's todo is there, a second #12 would be too.
        var todos = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/todos" && x.Body.Contains("#13", StringComparison.Ordinal))))
            .Where(x => x.Path == "/todos").ToList();
        Assert.Equal(["Expense report #12 needs a look", "expense report #13"], todos.Select(t => t.Json.GetProperty("text").GetString()));
        Assert.All(todos, t => Assert.Equal("staff002", t.Json.GetProperty("from").GetString()));
    }

    private async Task<SentMessage> RequestApprovalAsync(string key)
    {
        var response = await _app.SendAsync(new
        {
            id = "evt-" + key, type = "approval.requested",
            data = new { key, title = "Purchase: laptop", approverMobile = "13800000001", requesterName = "Zhang San", requesterMobile = "13800000002", amount = 8000 },
        });
        Assert.True(response.IsSuccessStatusCode);
        var card = await WaitForAsync(m => m.Kind == "card" && m.CardId == key);
        Assert.Equal("manager001", card.To);
        Assert.Contains("**Amount:** 8000", card.Text, StringComparison.Ordinal);
        return card;
    }

    private async Task<SentMessage> WaitForAsync(Func<SentMessage, bool> match)
    {
        SentMessage? found = null;
        await WaitAsync(() => (found = _emulator.State.Messages.FirstOrDefault(match)) is not null);
        return found!;
    }

    private async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Waited 20 s. Sent: " + string.Join("; ", _emulator.State.Messages.Select(m => $"{m.Kind} {m.To} {m.CurrentText}"))
                    + " | Sink: " + string.Join("; ", _app.Sink.Requests.Select(r => r.Path)) + " | Callbacks: " + string.Join("; ", _emulator.State.Callbacks.Select(c => $"{c.Status} {c.Body}")));
            }

            await Task.Delay(25, Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _emulator.DisposeAsync();
    }
}
