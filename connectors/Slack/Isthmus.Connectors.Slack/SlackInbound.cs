using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// Turns one verified Slack request into normalized events: Events API envelopes (JSON: <c>url_verification</c>,
/// <c>event_callback</c>) and interactivity posts (form field <c>payload</c>: <c>block_actions</c>).
/// </summary>
internal static partial class SlackInbound
{
    private const string Platform = "slack";

    /// <summary>The empty 200 Slack expects as an acknowledgement.</summary>
    public static InboundReply Ack { get; } = new(200, "text/plain; charset=utf-8", ReadOnlyMemory<byte>.Empty);

    /// <summary>Whether the body is Slack's <c>ssl_check=1</c> probe (a form post, answered with an empty 200).</summary>
    public static bool IsSslCheck(string? contentType, ReadOnlySpan<byte> body) =>
        IsForm(contentType) && Form(Encoding.UTF8.GetString(body)).TryGetValue("ssl_check", out var v) && v == "1";

    public static bool IsForm(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    public static bool IsJson(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes a JSON Events API request.</summary>
    public static Inbound Envelope(ReadOnlyMemory<byte> body)
    {
        var root = InboundChecks.Json(body);
        if (root.ValueKind != JsonValueKind.Object || Str(root, "type") is not { } type)
        {
            throw Malformed("The body is not a Slack Events API envelope: it has no 'type'.");
        }

        switch (type)
        {
            case "url_verification":
                var challenge = Str(root, "challenge") ?? throw Malformed("The url_verification request has no 'challenge'.");
                return new Inbound([], InboundChecks.JsonReply(new { challenge }));
            case "event_callback":
                var id = Str(root, "event_id") ?? throw Malformed("The event_callback has no 'event_id'.");
                if (!root.TryGetProperty("event", out var ev) || ev.ValueKind != JsonValueKind.Object || Str(ev, "type") is not { } eventType)
                {
                    throw Malformed($"The event_callback {id} has no 'event' object with a 'type'.");
                }

                var time = root.TryGetProperty("event_time", out var t) && t.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
                return new Inbound(Event(id, eventType, ev, time), Ack);
            default:
                // app_rate_limited and envelope types added later: acknowledged, nothing to process.
                return new Inbound([], Ack);
        }
    }

    /// <summary>Decodes an interactivity request: a form whose <c>payload</c> field is JSON.</summary>
    public static Inbound Interaction(ReadOnlyMemory<byte> body)
    {
        var form = Form(Encoding.UTF8.GetString(body.Span));
        if (!form.TryGetValue("payload", out var json))
        {
            throw Malformed("The form has no 'payload' field; Slack sends interactivity as payload=<JSON>.");
        }

        var root = InboundChecks.Json(Encoding.UTF8.GetBytes(json));
        if (root.ValueKind != JsonValueKind.Object || Str(root, "type") is not { } type)
        {
            throw Malformed("The interactivity payload has no 'type'.");
        }

        return type == "block_actions" ? new Inbound(BlockActions(root), Ack) : new Inbound([], Ack);
    }

    private static List<EventDraft> Event(string id, string type, JsonElement ev, DateTimeOffset? time)
    {
        switch (type)
        {
            case "message" or "app_mention":
                return Message(id, ev, time) is { } message ? [message] : [];
            case "pin_added" when Pinned(id, ev, time) is { } pinned:
                return [pinned];
            case "team_join" or "user_change":
                var user = ev.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.Object ? Str(u, "id") : Str(ev, "user");
                return [ChatEvents.Other(id, ChatEventTypes.ContactChanged, user, Wrap(type, ev), time)];
            default:
                return [ChatEvents.Other(id, type, Str(ev, "channel"), Wrap(type, ev), time)];
        }
    }

    private static JsonElement Wrap(string type, JsonElement ev) =>
        JsonSerializer.SerializeToElement(new { platform = Platform, type, raw = ev }, ChatEvents.Json);

    /// <summary>
    /// A person's message. Edits, deletions and other subtypes, and messages from bots (this one included), are not
    /// messages people wrote and produce no event. A message that mentions the app arrives twice (as <c>message</c>
    /// and as <c>app_mention</c>, with different event ids): both carry the same dedup key, channel + ts, so it is processed once.
    /// </summary>
    private static EventDraft? Message(string id, JsonElement ev, DateTimeOffset? time)
    {
        var subtype = Str(ev, "subtype");
        if (subtype is not (null or "file_share" or "thread_broadcast") || Str(ev, "bot_id") is not null)
        {
            return null;
        }

        var channel = Str(ev, "channel") ?? throw Malformed($"The message event {id} has no 'channel'.");
        var ts = Str(ev, "ts") ?? throw Malformed($"The message event {id} has no 'ts'.");
        var user = Str(ev, "user") ?? throw Malformed($"The message event {id} has no 'user'.");
        var text = Str(ev, "text") ?? "";
        var channelType = Str(ev, "channel_type");
        var direct = channelType == "im" || (channelType is null && channel.StartsWith('D'));
        var mentions = Mentions(text);
        var data = new MessageReceived(Platform, ts, text, new ChatUser(user), new ChatRef(channel, direct ? "direct" : "group"),
            mentions, Important: false, ev);
        var at = Seconds(ts) ?? time;
        return ChatEvents.Message(id, data, at) with { DedupKey = $"message:{channel}:{ts}" };
    }

    /// <summary>
    /// A message pinned in a channel: Slack's way of marking a message important. It becomes <c>message.received</c>
    /// again, with <c>important: true</c> and its own dedup key (channel + ts + the pin), so a flow that acts on
    /// important messages fires once per pin, and a redelivered pin is recognised. Pins of files are passed through.
    /// </summary>
    private static EventDraft? Pinned(string id, JsonElement ev, DateTimeOffset? time)
    {
        if (!ev.TryGetProperty("item", out var item) || item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var channel = Str(ev, "channel_id") ?? Str(item, "channel") ?? throw Malformed($"The pin_added event {id} has no 'channel_id'.");
        var ts = Str(message, "ts") ?? throw Malformed($"The pin_added event {id} has no 'item.message.ts'.");
        var user = Str(message, "user") ?? Str(ev, "item_user") ?? throw Malformed($"The pin_added event {id} has no 'item.message.user'.");
        var text = Str(message, "text") ?? "";
        var mentions = Mentions(text);
        var data = new MessageReceived(Platform, ts, text, new ChatUser(user), new ChatRef(channel, channel.StartsWith('D') ? "direct" : "group"),
            mentions, Important: true, ev);
        return ChatEvents.Message(id, data, time) with { DedupKey = $"pinned:{channel}:{ts}:{Str(ev, "event_ts") ?? id}" };
    }

    private static List<EventDraft> BlockActions(JsonElement root)
    {
        var user = root.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.Object && Str(u, "id") is { } userId
            ? new ChatUser(userId, Str(u, "name") ?? Str(u, "username"))
            : throw Malformed("The block_actions payload has no 'user.id'.");
        var container = root.TryGetProperty("container", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var channel = root.TryGetProperty("channel", out var ch) && ch.ValueKind == JsonValueKind.Object ? ch : default;
        var channelId = (channel.ValueKind == JsonValueKind.Object ? Str(channel, "id") : null)
            ?? (container.ValueKind == JsonValueKind.Object ? Str(container, "channel_id") : null);
        var messageTs = (container.ValueKind == JsonValueKind.Object ? Str(container, "message_ts") : null)
            ?? (root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? Str(m, "ts") : null);
        var chat = channelId is null ? null
            : new ChatRef(channelId, channelId.StartsWith('D') ? "direct" : "group", channel.ValueKind == JsonValueKind.Object ? Str(channel, "name") : null);
        var comment = Comment(root);
        var trigger = Str(root, "trigger_id");
        if (!root.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array)
        {
            throw Malformed("The block_actions payload has no 'actions' list.");
        }

        var events = new List<EventDraft>();
        var index = 0;
        foreach (var action in actions.EnumerateArray())
        {
            index++;
            if (action.ValueKind != JsonValueKind.Object || Str(action, "type") != "button")
            {
                continue;
            }

            var actionId = Str(action, "action_id") ?? throw Malformed("A block action has no 'action_id'.");
            var actionTs = Str(action, "action_ts");
            var (value, cardId, key) = ButtonValue(Str(action, "value"));
            var data = new CardAction(Platform, key ?? actionId, value, cardId, user, chat,
                new CardMessageRef(messageTs, channelId), comment, root)
            {
                Context = ApprovalCard.ContextOf(value),
            };
            // Slack does not redeliver interactions, but a proxy might: the trigger id (or the action's own
            // timestamp) identifies this press.
            var id = (trigger ?? $"{channelId}:{messageTs}:{actionTs}:{user.Id}") + (index > 1 ? $"#{index}" : "");
            events.Add(ChatEvents.Action(id, data, Seconds(actionTs)));
        }

        return events;
    }

    /// <summary>A button value of ours is <c>{"cardId":…,"action":…}</c>; any other value is passed on as text.</summary>
    private static (JsonElement? Value, string? CardId, string? Action) ButtonValue(string? value)
    {
        if (value is null)
        {
            return (null, null, null);
        }

        if (value.StartsWith('{'))
        {
            try
            {
                var parsed = JsonDocument.Parse(value).RootElement;
                return (parsed, Str(parsed, "cardId"), Str(parsed, "action"));
            }
            catch (JsonException)
            {
                // Not ours: fall through and keep it as text.
            }
        }

        return (JsonSerializer.SerializeToElement(value), null, null);
    }

    /// <summary>The comment typed in the card's input (block <c>comment</c>), from <c>state.values</c>.</summary>
    private static string? Comment(JsonElement root)
    {
        if (!root.TryGetProperty("state", out var state) || state.ValueKind != JsonValueKind.Object
            || !state.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (values.TryGetProperty(SlackBlocks.CommentBlock, out var block) && block.ValueKind == JsonValueKind.Object
            && block.TryGetProperty(SlackBlocks.CommentAction, out var input) && input.ValueKind == JsonValueKind.Object)
        {
            return Str(input, "value") is { Length: > 0 } text ? text : null;
        }

        return null;
    }

    private static DateTimeOffset? Seconds(string? ts) =>
        ts is not null && decimal.TryParse(ts, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s is > 0 and < 253_402_300_799
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(s * 1000))
            : null;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Decodes <c>application/x-www-form-urlencoded</c> text (<c>+</c> is a space).</summary>
    public static Dictionary<string, string> Form(string body)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            fields.TryAdd(name, eq < 0 ? "" : Decode(pair[(eq + 1)..]));
        }

        return fields;
    }

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            throw Malformed("The form body is not valid URL encoding.");
        }
    }

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);

    [GeneratedRegex("<@([UW][A-Z0-9]+)(?:\\|[^>]*)?>", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    private static List<string> Mentions(string text) =>
        Mention().Matches(text).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
}
