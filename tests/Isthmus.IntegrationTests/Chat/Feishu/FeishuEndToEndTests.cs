using System.Text.Json;
using Isthmus.Emulation;
using Isthmus.Emulators.Feishu;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.Feishu;

/// <summary>OA → Feishu card → button press → OA decision → card updated → requester told; keyword messages → OA todo.</summary>
public sealed class FeishuEndToEndTests : IAsyncLifetime
{
    private const string Flows = """
          request-approval:
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card
                connection: feishu
                do: send-card
                to: { email: "=data.approverEmail" }
                card:
                  id: "=data.key"
                  title: "Leave request {{ data.key }}"
                  fields: { Requester: "=data.requester", Days: "=data.days" }
                  askComment: true
                  context: { requesterEmail: "=data.requesterEmail" }
          decide:
            trigger: { connection: feishu, event: card.action }
            steps:
              - action: decision
                connection: sink
                method: POST
                path: "/decisions/{{ data.cardId }}"
                body: { decision: "=data.action", comment: "=data.comment", approver: "=data.user.id" }
              - action: update
                connection: feishu
                do: update-card
                message: "=data.message"
                card:
                  id: "=data.cardId"
                  title: "Leave request {{ data.cardId }}"
                  status: "{{ lookup('decision', data.action, data.action) }} by {{ data.user.id }}"
              - action: tell
                connection: feishu
                do: send-text
                to: { email: "=data.context.requesterEmail" }
                text: "Your request {{ data.cardId }} was {{ data.action == 'approve' ? 'approved' : 'rejected' }}"
          keyword-todo:
            trigger: { connection: feishu, event: message.received }
            when: contains(data.text, 'urgent')
            steps:
              - action: todo
                connection: sink
                method: POST
                path: /todos
                body: { text: "=data.text", from: "=data.sender.id", messageId: "=data.messageId" }
        """;

    private FeishuEmulator _emulator = null!;
    private EmulatorClient _client = null!;
    private IsthmusApplication _app = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = new FeishuEmulator(new EmulatorOptions());
        await _emulator.StartAsync();
        _client = new EmulatorClient(_emulator.BaseUrl);
        await _client.AddUserAsync(new EmulatedUser("ou_li", "Li Wei", "li.wei@example.com"));
        await _client.AddUserAsync(new EmulatedUser("ou_wang", "Wang Fang", "wang.fang@example.com"));
        var extra = _emulator.Connection().ToYaml("feishu") + "codeTables:\n  decision: { approve: Approved, reject: Rejected }";
        _app = await IsthmusApplication.StartAsync(Flows, extra);
        _emulator.CallbackUrl = new Uri(_app.Http.BaseAddress!, "hooks/feishu").ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Approve_posts_the_decision_updates_the_card_and_tells_the_requester()
    {
        var card = await RequestApprovalAsync("AP-1");
        var press = await _client.PressAsync(new PressRequest(card, "approve", "ou_li"));
        Assert.Equal(200, press.Status);
        Assert.Contains("toast", press.Body, StringComparison.Ordinal);

        var decisions = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/decisions/AP-1"));
        var decision = decisions.Single(x => x.Path == "/decisions/AP-1").Json;
        Assert.Equal("approve", decision.GetProperty("decision").GetString());
        Assert.Equal("ou_li", decision.GetProperty("approver").GetString());

        var updated = await _client.WaitForSentAsync(m => m.GetProperty("id").GetString() == card
            && m.GetProperty("currentText").GetString()!.Contains("Approved by ou_li", StringComparison.Ordinal));
        Assert.Equal(1, updated.GetProperty("updates").GetArrayLength());

        var told = await _client.WaitForSentAsync(m => m.GetProperty("to").GetString() == "ou_wang" && m.GetProperty("kind").GetString() == "text");
        Assert.Equal("Your request AP-1 was approved", told.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Reject_with_a_comment_delivered_twice_is_decided_once()
    {
        var card = await RequestApprovalAsync("AP-2");
        var press = await _client.PressAsync(new PressRequest(card, "reject", "ou_li", "Not this week", Repeat: 2));
        Assert.Equal(200, press.Status);

        var decisions = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/decisions/AP-2"));
        var decision = decisions.Single(x => x.Path == "/decisions/AP-2").Json;
        Assert.Equal("reject", decision.GetProperty("decision").GetString());
        Assert.Equal("Not this week", decision.GetProperty("comment").GetString());
        await _client.WaitForSentAsync(m => m.GetProperty("id").GetString() == card
            && m.GetProperty("currentText").GetString()!.Contains("Rejected by ou_li", StringComparison.Ordinal));

        await Task.Delay(500);
        Assert.Single(_app.Sink.Requests, x => x.Path == "/decisions/AP-2");
        var sent = await _client.SentAsync();
        Assert.Equal(1, sent.Single(m => m.GetProperty("id").GetString() == card).GetProperty("updates").GetArrayLength());
    }

    [Fact]
    public async Task A_message_with_the_keyword_makes_one_todo_even_when_delivered_twice()
    {
        var calm = await _client.SayAsync(new SayRequest("ou_wang", "all good today"));
        Assert.Equal(200, calm.Status);
        var urgent = await _client.SayAsync(new SayRequest("ou_wang", "urgent: the printer is on fire", Chat: "oc_ops", Repeat: 2));
        Assert.Equal(200, urgent.Status);

        var todos = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/todos"));
        await Task.Delay(500);
        var todo = Assert.Single(_app.Sink.Requests, x => x.Path == "/todos").Json;
        Assert.Equal("urgent: the printer is on fire", todo.GetProperty("text").GetString());
        Assert.Equal("ou_wang", todo.GetProperty("from").GetString());
        Assert.Equal(3, (await _client.CallbacksAsync()).Count);
    }

    private async Task<string> RequestApprovalAsync(string key)
    {
        var response = await _app.SendAsync(new { id = "req-" + key, type = "approval.requested", data = new { key, approverEmail = "li.wei@example.com", requester = "Wang Fang", requesterEmail = "wang.fang@example.com", days = 3 } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var card = await _client.WaitForSentAsync(m => m.GetProperty("kind").GetString() == "card" && m.GetProperty("cardId").GetString() == key);
        Assert.Equal("ou_li", card.GetProperty("to").GetString());
        return card.GetProperty("id").GetString()!;
    }
}
