using System.Text.Json.Nodes;

namespace Isthmus.Emulation;

/// <summary>A person known to the emulated platform.</summary>
public sealed record EmulatedUser(string Id, string Name, string? Email = null, string? Mobile = null, string? EmployeeId = null);

/// <summary>Something the bot or app sent, as the platform stored it.</summary>
/// <param name="Id">The platform's message id (what a callback or an update refers to).</param>
/// <param name="Via"><c>app</c> (app API) or <c>bot</c> (group-bot webhook).</param>
/// <param name="To">The recipient as the platform saw it (user id, chat id, bot name).</param>
/// <param name="Kind"><c>text</c>, <c>markdown</c>, <c>card</c> or <c>todo</c>.</param>
/// <param name="Text">What a person would read (text, or the card flattened to text).</param>
/// <param name="Content">The body exactly as the platform received it.</param>
/// <param name="CardId">The caller's card id, for cards.</param>
public sealed record SentMessage(string Id, string Via, string To, string Kind, string Text, JsonNode Content, string? CardId, DateTimeOffset At)
{
    private readonly List<JsonNode> _updates = [];
    private volatile string _currentText = Text;

    /// <summary>Every later update of this message (card updates), oldest first, as received (a snapshot).</summary>
    public IReadOnlyList<JsonNode> Updates
    {
        get
        {
            lock (_updates)
            {
                return [.. _updates];
            }
        }
    }

    /// <summary>The text after the last update.</summary>
    public string CurrentText => _currentText;

    /// <summary>
    /// Records an update and the text it shows (<c>null</c>: the text is unchanged). The text is set first, so whoever
    /// sees the update also sees its text.
    /// </summary>
    public void Update(JsonNode content, string? text)
    {
        lock (_updates)
        {
            _currentText = text ?? _currentText;
            _updates.Add(content);
        }
    }
}

/// <summary>A callback the emulator sent to Isthmus, and how Isthmus answered.</summary>
public sealed record CallbackRecord(DateTimeOffset At, string Kind, string Url, int Status, string Body);

/// <summary>Press a button on a card: <c>message</c> is the sent message's id, <c>action</c> the button key.</summary>
/// <param name="Repeat">How many times the platform delivers the same callback (its retries); at least 1.</param>
public sealed record PressRequest(string Message, string Action, string User, string? Comment = null, int Repeat = 1);

/// <summary>Post a message as a user into a chat (a group id, or the bot's direct chat when omitted).</summary>
public sealed record SayRequest(string User, string Text, string? Chat = null, bool Important = false,
    IReadOnlyList<string>? Mentions = null, int Repeat = 1);

/// <summary>What a user writes in Isthmus's YAML to talk to this emulator: the kind, and each setting's value as YAML (a scalar or a flow mapping).</summary>
public sealed record EmulatorConnection(string Kind, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The connection as an entry under <c>connections:</c>, named <paramref name="name"/>, each line ending in a newline.</summary>
    public string ToYaml(string name) =>
        $"  {name}:\n    kind: {Kind}\n" + string.Concat(Settings.Select(s => $"    {s.Key}: {s.Value}\n"));
}
