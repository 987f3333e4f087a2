using System.Text.Json;
using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.AgoraChat;

/// <summary>
/// The real host against the Agora Chat emulator over loopback HTTP: an OA approval becomes a card, a press on it
/// becomes a decision posted to the OA and the card rewritten in place, and a keyword message becomes one OA todo.
/// </summary>
public sealed class AgoraChatEndToEndTests : IAsyncLifetime
{
    private const string Flows = """
          request-approval:
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card
                connection: chat
                do: send-card
                to: { user: "=data.approver" }
                card:
                  id: "=data.key"
                  title: "Expense claim {{ data.key }}"
                  text: "=data.title"
                  fields: { Amount: "=data.amount", Requester: "=data.requester" }
                  askComment: true
                  context: { requester: "=data.requester" }
          decide:
            trigger: { connection: chat, event: card.action }
            steps:
              - action: tell-oa
                connection: sink
                method: POST
                path: "/approvals/{{ data.cardId }}/decision"
                body: { decision: "=data.action", by: "=data.user.id", comment: "=data.comment" }
              - if: data.action == 'approve'
                then:
                  - action: approved
                    connection: chat
                    do: update-card
                    message: "=data.message"
                    card: { id: "=data.cardId", title: "Expense claim {{ data.cardId }}", status: "Approved by {{ data.user.id }} at {{ formatDate(now(), 'HH:mm', 'Asia/Shanghai') }}" }
                else:
                  - action: rejected
                    connection: chat
                    do: update-card
                    message: "=data.message"
                    card: { id: "=data.cardId", title: "Expense claim {{ data.cardId }}", status: "Rejected by {{ data.user.id }}: {{ data.comment }}" }
              - action: tell-requester
                connection: chat
                do: send-text
                to: { user: "=data.context.requester" }
                text: "Your expense claim {{ data.cardId }} was {{ data.action == 'approve' ? 'approved' : 'rejected' }}."
          urgent-todo:
            trigger: { connection: chat, event: message.received }
            when: contains(lower(data.text), 'urgent')
            steps:
              - action: todo
                connection: sink
                method: POST
                path: /todos
                body: { from: "=data.sender.id", text: "=data.text", messageId: "=data.messageId" }
        """;

    private AgoraChatEmulator _emulator = null!;
    private EmulatorClient _client = null!;
    private IsthmusApplication _app = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = new AgoraChatEmulator(new EmulatorOptions());
        await _emulator.StartAsync();
        _app = await IsthmusApplication.StartAsync(Flows, _emulator.Connection().ToYaml("chat"));
        _emulator.CallbackUrl = new Uri(_app.Http.BaseAddress!, "/hooks/chat").ToString();
        _client = new EmulatorClient(_emulator.BaseUrl);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    private async Task<JsonElement> RequestApprovalAsync(string key)
    {
        var accepted = await _app.SendAsync(new
        {
            id = "oa-" + key,
            type = "approval.requested",
            data = new { key, title = "Taxi to the airport", amount = "¥ 230.00", requester = "zhang.san", approver = "li.wei" },
        });
        Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
        return await _client.WaitForSentAsync(m => m.GetProperty("kind").GetString() == "card" && m.GetProperty("cardId").GetString() == key);
    }

    [Fact]
    public async Task Approve_posts_the_decision_once_rewrites_the_card_and_the_requester_is_told()
    {
        var card = await RequestApprovalAsync("AP-1");
        Assert.Equal("li.wei", card.GetProperty("to").GetString());
        var id = card.GetProperty("id").GetString()!;

        var answer = await _client.PressAsync(new PressRequest(id, "approve", "li.wei", Repeat: 2));

        Assert.Equal(200, answer.Status);
        var decisions = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/AP-1/decision"));
        var updated = await _client.WaitForSentAsync(m => m.GetProperty("id").GetString() == id && m.GetProperty("updates").GetArrayLength() > 0);
        Assert.Matches(@"Approved by li\.wei at \d\d:\d\d$", updated.GetProperty("currentText").GetString());
        Assert.Equal("approve", decisions.Single(x => x.Path == "/approvals/AP-1/decision").Json.GetProperty("decision").GetString());

        var told = await _client.WaitForSentAsync(m => m.GetProperty("to").GetString() == "zhang.san");
        Assert.Equal("Your expense claim AP-1 was approved.", told.GetProperty("text").GetString());

        await Task.Delay(300);
        Assert.Single(_app.Sink.Requests, x => x.Path == "/approvals/AP-1/decision");
        Assert.Equal(2, (await _client.CallbacksAsync()).Count(c => c.Kind == "press" && c.Status == 200));
    }

    [Fact]
    public async Task Reject_with_a_comment_reaches_the_oa_and_the_card()
    {
        var id = (await RequestApprovalAsync("AP-2")).GetProperty("id").GetString()!;

        await _client.PressAsync(new PressRequest(id, "reject", "li.wei", "Over the taxi budget"));

        var decision = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/AP-2/decision")))
            .Single(x => x.Path == "/approvals/AP-2/decision").Json;
        Assert.Equal(("reject", "li.wei", "Over the taxi budget"),
            (decision.GetProperty("decision").GetString(), decision.GetProperty("by").GetString(), decision.GetProperty("comment").GetString()));
        var updated = await _client.WaitForSentAsync(m => m.GetProperty("id").GetString() == id && m.GetProperty("updates").GetArrayLength() > 0);
        Assert.EndsWith("Rejected by li.wei: Over the taxi budget", updated.GetProperty("currentText").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_urgent_message_delivered_twice_makes_one_todo()
    {
        var answer = await _client.SayAsync(new SayRequest("li.wei", "URGENT: the VPN is down", Repeat: 2));

        Assert.Equal(200, answer.Status);
        var todos = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/todos"));
        Assert.Equal("URGENT: the VPN is down", todos.First(x => x.Path == "/todos").Json.GetProperty("text").GetString());
        await _client.SayAsync(new SayRequest("li.wei", "just saying hello"));
        await Task.Delay(500);
        Assert.Single(_app.Sink.Requests, x => x.Path == "/todos");
    }

    [Fact]
    public async Task A_callback_with_a_wrong_secret_is_refused_and_nothing_runs()
    {
        await using var impostor = new AgoraChatEmulator(new EmulatorOptions(), "not-the-rule-secret") { CallbackUrl = _emulator.CallbackUrl };
        await impostor.StartAsync();

        var answer = await impostor.SayAsync(new SayRequest("li.wei", "urgent: fake"));

        Assert.Equal(401, answer.Status);
        await Task.Delay(300);
        Assert.DoesNotContain(_app.Sink.Requests, x => x.Path == "/todos");
    }
}
