using Isthmus.Emulation;
using Isthmus.Emulators;
using Spectre.Console;

namespace Isthmus.Demo;

/// <summary>
/// The chat part of the demo: an emulated chat platform whose people approve or reject the OA's requests on
/// cards, and now and then post a message that should become an OA todo.
/// </summary>
internal sealed class DemoChat(PlatformEmulator emulator) : IAsyncDisposable
{
    /// <summary>The demo's people: the approvers and requesters of the simulated OA.</summary>
    public static readonly EmulatedUser[] People =
    [
        new("liwei", "Li Wei", "li.wei@example.com", "13800000001", "E1001"),
        new("zhangmin", "Zhang Min", "zhang.min@example.com", "13800000002", "E1002"),
        new("wangfang", "Wang Fang", "wang.fang@example.com", "13800000003", "E1003"),
        new("chenjie", "Chen Jie", "chen.jie@example.com", "13800000004", "E1004"),
    ];

    private readonly HashSet<string> _pressed = [];
    private readonly Dictionary<string, int> _shown = [];

    public string Platform => emulator.Platform;

    /// <summary>Starts the emulator for <paramref name="platform"/>, calling back to <paramref name="hookUrl"/>.</summary>
    public static async Task<DemoChat> StartAsync(string platform, string hookUrl)
    {
        var emulator = EmulatorCatalog.Platforms[platform](new EmulatorOptions { Port = 0, CallbackUrl = hookUrl });
        await emulator.StartAsync();
        foreach (var person in People)
        {
            emulator.State.AddUser(person);
        }

        return new DemoChat(emulator);
    }

    /// <summary>
    /// On platforms without a lookup by email (DingTalk, Agora Chat) the demo maps its people's emails by hand, as an
    /// administrator would with <c>PUT /api/v1/identities</c>; elsewhere the connector looks them up.
    /// </summary>
    public async Task MapIdentitiesAsync(Connectors.IIdentityDirectory identities)
    {
        if (emulator.Platform is "dingtalk" or "agora-chat")
        {
            foreach (var person in People)
            {
                await identities.SaveAsync("chat", Connectors.IdentityKinds.Email, person.Email!, person.Id, "manual", CancellationToken.None);
            }
        }
    }

    /// <summary>The <c>chat</c> connection, pointing at the emulator.</summary>
    public string ConnectionYaml() => emulator.Connection().ToYaml("chat");

    /// <summary>Flows that put approvals on cards, act on the presses and turn flagged chat messages into todos.</summary>
    public const string Flows = """
        flows:
          approval-card:
            description: An approval request reaches the approver in the chat app as a card with Approve / Reject.
            trigger: { connection: oa, event: approval.requested }
            steps:
              - action: card-to-approver
                connection: chat
                do: send-card
                to: { email: "=data.approverEmail" }
                card:
                  id: "=data.id"
                  title: "{{ data.title }}"
                  fields: { Amount: "=formatNumber(data.amount, 2)", Requester: "=data.requester" }
                  askComment: true
                  context: { requesterEmail: "=data.requesterEmail" }
          card-decision:
            description: A press on the card posts the decision to the OA, updates the card in place and tells the requester.
            trigger: { connection: chat, event: card.action }
            steps:
              - transform: decision
                value:
                  verb: "=data.action == 'approve' ? 'Approved' : 'Rejected'"
                  by: "=data.user.name || data.user.id"
              - action: post-decision
                connection: erp
                method: POST
                path: "/api/approvals/{{ data.cardId }}/decision"
                body: { decision: "=data.action", by: "=steps.decision.by", comment: "=data.comment" }
              - action: update-card
                connection: chat
                do: update-card
                message: "=data.message"
                card:
                  id: "=data.cardId"
                  title: "Request {{ data.cardId }}"
                  status: "{{ steps.decision.verb }} by {{ steps.decision.by }} at {{ formatDate(now(), 'HH:mm') }}"
              - action: tell-requester
                connection: chat
                do: send-text
                to: { email: "=data.context.requesterEmail" }
                text: "Your request {{ data.cardId }} was {{ steps.decision.verb }} by {{ steps.decision.by }}{{ data.comment ? ': ' + data.comment : '' }}"
          chat-todo:
            description: A chat message marked important, or mentioning 'urgent' or 'todo', becomes an OA todo (once, even when the platform retries).
            trigger: { connection: chat, event: message.received }
            when: data.important || /urgent|todo/i.test(data.text)
            steps:
              - action: create-oa-todo
                connection: erp
                method: POST
                path: /api/todos
                body: { title: "=data.text", owner: "=data.sender.id", source: "=data.platform + ':' + data.messageId" }
        """;

    /// <summary>Presses the buttons of cards a couple of seconds after they arrive, and posts a flagged message now and then.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Show();
                foreach (var card in emulator.State.Messages.Where(m => m.Kind == "card" && m.Updates.Count == 0 && !_pressed.Contains(m.Id)))
                {
                    if (emulator.State.Time.GetUtcNow() - card.At < TimeSpan.FromSeconds(2))
                    {
                        continue;
                    }

                    _pressed.Add(card.Id);
                    var reject = Random.Shared.Next(4) == 0;
                    await Quietly(() => emulator.PressAsync(new PressRequest(card.Id, reject ? "reject" : "approve", PersonOf(card.To)?.Id ?? card.To,
                        reject ? "Over budget this quarter" : null), cancellationToken));
                }

                if (++tick % 12 == 0)
                {
                    var who = People[Random.Shared.Next(People.Length)];
                    await Quietly(() => emulator.SayAsync(new SayRequest(who.Id, "urgent: stock count for SO-1042 is off, please check", Repeat: 2), cancellationToken));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Prints what the chat app shows: new messages and cards, and updated cards.</summary>
    private void Show()
    {
        foreach (var m in emulator.State.Messages)
        {
            var seen = _shown.GetValueOrDefault(m.Id, -1);
            if (seen == m.Updates.Count)
            {
                continue;
            }

            var to = PersonOf(m.To)?.Name ?? m.To;
            var what = seen < 0 ? $"{m.Kind} to {to}" : "card updated";
            var text = (seen < 0 ? m.Text : m.CurrentText).ReplaceLineEndings(" ");
            AnsiConsole.MarkupLine($"[grey]{DateTimeOffset.Now:HH:mm:ss}[/] [magenta]{emulator.Platform}[/] {Markup.Escape(what)}: {Markup.Escape(text.Length > 110 ? text[..110] + "…" : text)}");
            _shown[m.Id] = m.Updates.Count;
        }
    }

    // A message goes to a user id, or (Slack) to the direct chat the platform opened with that user.
    private static EmulatedUser? PersonOf(string to) =>
        People.FirstOrDefault(p => to == p.Id) ?? People.FirstOrDefault(p => to.EndsWith(p.Id, StringComparison.OrdinalIgnoreCase));

    private static async Task Quietly(Func<Task> act)
    {
        try
        {
            await act();
        }
        catch (HttpRequestException)
        {
            // Isthmus is stopping; the demo ends with it.
        }
    }

    public ValueTask DisposeAsync() => emulator.DisposeAsync();
}
