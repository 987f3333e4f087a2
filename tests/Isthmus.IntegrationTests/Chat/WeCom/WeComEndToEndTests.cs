using System.Text.Json;
using Isthmus.Emulation;
using Isthmus.Emulators.WeCom;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.WeCom;

/// <summary>
/// The real host against the WeCom emulator over HTTP: an OA approval becomes a card for the approver (found by
/// email), the button press comes back as an encrypted callback, the decision goes to the OA, the card is updated in
/// place and the requester is told; an urgent chat message becomes one OA todo even when WeCom delivers it twice.
/// </summary>
public sealed class WeComEndToEndTests : IAsyncLifetime
{
    private const string Flows = """
          approval-card:
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card
                connection: wecom
                do: send-card
                to: { email: "=data.approverEmail" }
                card:
                  id: "=data.key"
                  title: "Expense {{ data.key }}"
                  text: "=data.reason"
                  fields: { Amount: "=data.amount", Requester: "=data.requesterEmail" }
                  context: { requesterEmail: "=data.requesterEmail" }
          approval-decision:
            trigger: { connection: wecom, event: card.action }
            steps:
              - action: decide
                connection: sink
                method: POST
                path: "/approvals/{{ data.cardId }}/decision"
                body: { decision: "=data.action", by: "=data.user.id", comment: "=data.comment" }
              - action: update
                connection: wecom
                do: update-card
                message: "=data.message"
                card:
                  id: "=data.cardId"
                  title: "Expense {{ data.cardId }}"
                  status: "{{ data.action == 'approve' ? 'Approved' : 'Rejected' }} by {{ data.user.id }}"
              - action: tell
                connection: wecom
                do: send-text
                to: { email: "=data.context.requesterEmail" }
                text: "Your expense {{ data.cardId }} was {{ data.action == 'approve' ? 'approved' : 'rejected' }}."
          urgent-todo:
            trigger: { connection: wecom, event: message.received }
            when: contains(lower(data.text), 'urgent') || data.important
            steps:
              - action: todo
                connection: sink
                method: POST
                path: /todos
                body: { title: "=data.text", from: "=data.sender.id", messageId: "=data.messageId" }
        """;

    private WeComEmulator _emulator = null!;
    private IsthmusApplication _app = null!;
    private EmulatorClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = new WeComEmulator(new EmulatorOptions());
        await _emulator.StartAsync();
        _emulator.State.AddUser(new EmulatedUser("li.wei", "Li Wei", "li.wei@example.com"));
        _emulator.State.AddUser(new EmulatedUser("zhang.san", "Zhang San", "zhang.san@example.com"));
        _app = await IsthmusApplication.StartAsync(Flows, _emulator.Connection().ToYaml("wecom"));
        _emulator.CallbackUrl = new Uri(_app.Http.BaseAddress!, "/hooks/wecom").ToString();
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
            id = $"req-{key}",
            type = "approval.requested",
            data = new { key, reason = "Taxi to the airport", amount = 320.5, approverEmail = "li.wei@example.com", requesterEmail = "zhang.san@example.com" },
        });
        Assert.True(accepted.IsSuccessStatusCode);
        return await _client.WaitForSentAsync(m => m.GetProperty("cardId").GetString() == key);
    }

    [Fact]
    public async Task UrlCheck_IsAnsweredWithTheDecryptedEchoExactly()
    {
        var (answer, expected) = await _emulator.VerifyUrlAsync();

        Assert.Equal(200, answer.Status);
        Assert.Equal(expected, answer.Body);
    }

    [Fact]
    public async Task Approve_GoesToTheOa_UpdatesTheCardInPlace_AndTellsTheRequester()
    {
        var card = await RequestApprovalAsync("AP-1001");
        Assert.Equal("li.wei", card.GetProperty("to").GetString());
        Assert.Contains("[Approve] [Reject]", card.GetProperty("text").GetString(), StringComparison.Ordinal);

        // WeCom retries the same click: it is processed once.
        var callback = await _client.PressAsync(new PressRequest(card.GetProperty("id").GetString()!, "approve", "li.wei", Repeat: 2));
        Assert.Equal((200, ""), (callback.Status, callback.Body));

        var decisions = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/AP-1001/decision"));
        var decision = decisions.Single(x => x.Path == "/approvals/AP-1001/decision").Json;
        Assert.Equal(("approve", "li.wei"), (decision.GetProperty("decision").GetString(), decision.GetProperty("by").GetString()));

        var updated = await _client.WaitForSentAsync(m => m.GetProperty("cardId").GetString() == "AP-1001"
            && m.GetProperty("currentText").GetString()!.Contains("[Approved by li.wei]", StringComparison.Ordinal));
        Assert.Equal(1, updated.GetProperty("updates").GetArrayLength());

        var told = await _client.WaitForSentAsync(m => m.GetProperty("to").GetString() == "zhang.san");
        Assert.Equal("Your expense AP-1001 was approved.", told.GetProperty("text").GetString());
        Assert.Single(_app.Sink.Requests, r => r.Path == "/approvals/AP-1001/decision");
        var actions = await _app.GetJsonAsync("/api/v1/events?type=card.action");
        Assert.Equal(1, actions.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Reject_IsDecided_AndTheCardSaysSo_ButWeComCardsCarryNoComment()
    {
        var card = await RequestApprovalAsync("AP-1002");

        await _client.PressAsync(new PressRequest(card.GetProperty("id").GetString()!, "reject", "li.wei", Comment: "Too expensive"));

        var decisions = await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/approvals/AP-1002/decision"));
        var decision = decisions.Single(x => x.Path == "/approvals/AP-1002/decision").Json;
        Assert.Equal("reject", decision.GetProperty("decision").GetString());
        // WeCom's button cards have no text box, so the typed comment never reaches Isthmus (docs/connectors/wecom.md).
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("comment").ValueKind);
        await _client.WaitForSentAsync(m => m.GetProperty("cardId").GetString() == "AP-1002"
            && m.GetProperty("currentText").GetString()!.Contains("[Rejected by li.wei]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UrgentMessage_BecomesOneOaTodo_EvenWhenDeliveredTwice()
    {
        var first = await _client.SayAsync(new SayRequest("li.wei", "URGENT: the invoice server is down", Repeat: 2));
        Assert.Equal(200, first.Status);
        await _client.SayAsync(new SayRequest("li.wei", "just saying hello"));
        await _client.SayAsync(new SayRequest("li.wei", "urgent again: printer on fire"));

        // Messages of one chat are processed in order, so once the last todo is in, the earlier ones are final.
        var todos = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/todos" && x.Body.Contains("printer", StringComparison.Ordinal))))
            .Where(x => x.Path == "/todos").Select(x => x.Json).ToList();
        Assert.Equal(["URGENT: the invoice server is down", "urgent again: printer on fire"], todos.Select(t => t.GetProperty("title").GetString()));
        Assert.All(todos, t => Assert.Equal("li.wei", t.GetProperty("from").GetString()));
        var messages = await _app.GetJsonAsync("/api/v1/events?type=message.received");
        Assert.Equal(3, messages.GetProperty("items").GetArrayLength());
    }
}
