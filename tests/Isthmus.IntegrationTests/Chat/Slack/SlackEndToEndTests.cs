using System.Text.Json;
using Isthmus.Emulation;
using Isthmus.Emulators.Slack;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Chat.Slack;

/// <summary>
/// The real Isthmus host and the Slack emulator over HTTP on 127.0.0.1: an OA approval becomes a Slack card to the
/// approver (found by email), the press comes back signed, the decision goes to the OA, the card is updated in place
/// and the requester is told; a keyword in a channel message, or a message pinned as important, becomes one OA todo however often Slack delivers it.
/// </summary>
public sealed class SlackEndToEndTests : IAsyncLifetime
{
    private const string Flows = """
          approval-card:
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card
                connection: slack
                do: send-card
                to: { email: "=data.approverEmail" }
                card:
                  id: "=data.key"
                  title: "{{ data.title }}"
                  fields: { Amount: "=data.amount", Requester: "=data.requesterEmail" }
                  askComment: true
                  context: { requesterEmail: "=data.requesterEmail" }
          decision:
            trigger: { connection: slack, event: card.action }
            steps:
              - action: decide
                connection: sink
                method: POST
                path: "/decisions/{{ data.cardId }}"
                body: { decision: "=data.action", comment: "=data.comment", by: "=data.user.id" }
              - action: update
                connection: slack
                do: update-card
                message: "=data.message"
                card:
                  id: "=data.cardId"
                  title: Expense claim
                  status: "{{ data.action == 'approve' ? 'Approved' : 'Rejected' }} by {{ data.user.name }} at {{ formatDate(now(), 'HH:mm') }}"
              - action: tell
                connection: slack
                do: send-text
                to: { email: "=data.context.requesterEmail" }
                text: "Your request {{ data.cardId }} was {{ data.action == 'approve' ? 'approved' : 'rejected' }}"
          keyword-todo:
            trigger: { connection: slack, event: message.received }
            when: data.important || data.text.includes('urgent')
            steps:
              - action: todo
                connection: sink
                method: POST
                path: /todos
                body: { text: "=data.text", from: "=data.sender.id", messageId: "=data.messageId", important: "=data.important" }
        """;

    private readonly SlackEmulator _slack = new(new EmulatorOptions());
    private IsthmusApplication _app = null!;
    private EmulatorClient _control = null!;

    public async ValueTask InitializeAsync()
    {
        await _slack.StartAsync();
        _app = await IsthmusApplication.StartAsync(Flows, _slack.Connection().ToYaml("slack"));
        _slack.CallbackUrl = new Uri(_app.Http.BaseAddress!, "/hooks/slack").ToString();
        _control = new EmulatorClient(_slack.BaseUrl);
        await _control.AddUserAsync(new EmulatedUser("U100", "Li Wei", Email: "li.wei@example.com"));
        await _control.AddUserAsync(new EmulatedUser("U200", "Ana Silva", Email: "ana@example.com"));
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _app.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private async Task<JsonElement> RequestApprovalAsync(string key)
    {
        var response = await _app.SendAsync(new
        {
            id = "req-" + key, type = "approval.requested",
            data = new { key, title = "Expense claim", amount = 120.5, approverEmail = "li.wei@example.com", requesterEmail = "ana@example.com" },
        });
        Assert.True(response.IsSuccessStatusCode);
        return await _control.WaitForSentAsync(m => m.GetProperty("kind").GetString() == "card");
    }

    private async Task<int> CountEventsAsync(string type) =>
        (await _app.GetJsonAsync($"/api/v1/events?connection=slack&type={type}&limit=100")).GetProperty("items").GetArrayLength();

    [Fact]
    public async Task Approve_goes_to_the_oa_updates_the_card_in_place_and_tells_the_requester()
    {
        var card = await RequestApprovalAsync("AP-1");
        Assert.Equal("DU100", card.GetProperty("to").GetString());
        var ts = card.GetProperty("id").GetString()!;

        var press = await _control.PressAsync(new PressRequest(ts, "approve", "U100"));

        Assert.Equal(200, press.Status);
        var decision = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/decisions/AP-1"))).Single(r => r.Path == "/decisions/AP-1");
        Assert.Equal("approve", decision.Json.GetProperty("decision").GetString());
        Assert.Equal("U100", decision.Json.GetProperty("by").GetString());
        var updated = await _control.WaitForSentAsync(m => m.GetProperty("id").GetString() == ts && m.GetProperty("updates").GetArrayLength() == 1);
        Assert.Contains("Approved by Li Wei at ", updated.GetProperty("currentText").GetString(), StringComparison.Ordinal);
        var told = await _control.WaitForSentAsync(m => m.GetProperty("to").GetString() == "DU200");
        Assert.Equal("Your request AP-1 was approved", told.GetProperty("text").GetString());
        var callbacks = await _control.CallbacksAsync();
        Assert.All(callbacks, c => Assert.Equal(200, c.Status));
    }

    [Fact]
    public async Task Reject_with_a_comment_delivered_twice_is_decided_once()
    {
        var card = await RequestApprovalAsync("AP-2");
        var ts = card.GetProperty("id").GetString()!;

        var press = await _control.PressAsync(new PressRequest(ts, "reject", "U100", Comment: "Over the limit", Repeat: 2));

        Assert.Equal(200, press.Status);
        var updated = await _control.WaitForSentAsync(m => m.GetProperty("id").GetString() == ts && m.GetProperty("updates").GetArrayLength() >= 1);
        Assert.Contains("Rejected by Li Wei", updated.GetProperty("currentText").GetString(), StringComparison.Ordinal);
        await _control.WaitForSentAsync(m => m.GetProperty("to").GetString() == "DU200");
        await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/decisions/AP-2"));
        // Redeliveries are refused when they arrive, before Slack gets its answer: by now a second run would exist.
        var decisions = _app.Sink.Requests.Where(r => r.Path.StartsWith("/decisions/", StringComparison.Ordinal)).ToList();
        var decision = Assert.Single(decisions);
        Assert.Equal("/decisions/AP-2", decision.Path);
        Assert.Equal(("reject", "Over the limit"), (decision.Json.GetProperty("decision").GetString(), decision.Json.GetProperty("comment").GetString()));
        Assert.Equal(2, (await _control.CallbacksAsync()).Count(c => c.Kind == "press"));
        Assert.Equal(1, await CountEventsAsync("card.action"));
        Assert.Single(await _control.SentAsync(), m => m.GetProperty("to").GetString() == "DU200");
    }

    [Fact]
    public async Task A_keyword_message_delivered_again_and_as_a_mention_becomes_one_todo()
    {
        var say = await _control.SayAsync(new SayRequest("U200", "urgent: the build is red", Chat: "C777",
            Mentions: [SlackEmulator.BotUserId], Repeat: 2));
        Assert.Equal(200, say.Status);
        // A later message in the same channel is processed after every earlier one (ordered per chat).
        await _control.SayAsync(new SayRequest("U200", "urgent: and the deploy is stuck", Chat: "C777"));
        await _control.SayAsync(new SayRequest("U200", "just chatting", Chat: "C777"));

        var todos = await _app.Sink.WaitForAsync(r => r.Count(x => x.Path == "/todos") >= 2);
        var texts = todos.Where(r => r.Path == "/todos").Select(r => r.Json.GetProperty("text").GetString()).ToList();

        Assert.Equal(["urgent: and the deploy is stuck", "urgent: the build is red <@U0ISTHMUS>"], texts.Order(StringComparer.Ordinal));
        Assert.All(todos.Where(r => r.Path == "/todos"), t => Assert.False(t.Json.GetProperty("important").GetBoolean()));
        Assert.Equal(6, (await _control.CallbacksAsync()).Count);
        // Stored once each: the retry and the app_mention of the first message were recognised when they arrived.
        Assert.Equal(3, await CountEventsAsync("message.received"));
    }

    [Fact]
    public async Task A_message_pinned_as_important_becomes_one_todo_marked_important()
    {
        await _control.SayAsync(new SayRequest("U200", "we ship on Friday", Chat: "C778", Important: true, Repeat: 2));

        var todos = (await _app.Sink.WaitForAsync(r => r.Any(x => x.Path == "/todos"))).Where(r => r.Path == "/todos").ToList();

        // The message and its pin, each delivered twice: two events, and only the pin (processed after the message,
        // in the same chat) is important.
        var todo = Assert.Single(todos);
        Assert.True(todo.Json.GetProperty("important").GetBoolean());
        Assert.Equal("we ship on Friday", todo.Json.GetProperty("text").GetString());
        Assert.Equal(4, (await _control.CallbacksAsync()).Count);
        Assert.Equal(2, await CountEventsAsync("message.received"));
    }
}
