using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// Verifies and decodes one Agora Chat callback (post-delivery message callbacks, group/room operations,
/// user online/offline). Routes on which fields are present, as the envelopes differ; unknown kinds are acknowledged
/// and ignored, since the platform adds new ones.
/// </summary>
internal sealed class CallbackReader(AgoraChatOptions options, TimeProvider time)
{
    /// <summary>The <c>platform</c> value of normalized events.</summary>
    public const string Platform = "agora-chat";

    /// <summary>The events in <paramref name="body"/>; throws <see cref="InboundRejectedException"/> when it is not a genuine, fresh callback.</summary>
    public IReadOnlyList<EventDraft> Read(ReadOnlyMemory<byte> body)
    {
        var root = InboundChecks.Json(body);
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"The callback must be a JSON object, not {root.ValueKind}.");
        }

        var callId = Text(root, "callId") ?? throw Malformed("The callback has no callId.");
        var timestamp = Timestamp(root);
        var security = Text(root, "security")
            ?? throw new InboundRejectedException(InboundRejection.Unauthorized, "The callback has no security field.");
        var expected = CallbackSecurity.Sign(callId, options.CallbackSecret, timestamp.Text);
        if (!InboundChecks.SameSignature(expected, security.ToLowerInvariant()))
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                "The security field does not match MD5(callId + secret + timestamp); check callbackSecret (the callback rule's secret in the console).");
        }

        InboundChecks.Fresh(timestamp.Time, time.GetUtcNow(), options.Tolerance, "the body's timestamp");

        if (Text(root, "msg_id") is not null && Text(root, "eventType") is { } eventType)
        {
            return Message(root, callId, eventType, timestamp.Time);
        }

        if (Text(root, "event") == "group_op_event")
        {
            var type = Text(root, "type") == "CHATROOM" ? "chatroom.changed" : "group.changed";
            return [ChatEvents.Other(callId, type, Text(root, "id"), Data(root), timestamp.Time)];
        }

        if (Text(root, "status") is not null && Text(root, "reason") is not null && Text(root, "user") is { } user)
        {
            var data = Data(root);
            var username = Username(user, Text(root, "appkey"));
            data = With(data, "username", username);
            return [ChatEvents.Other(callId, "user.presence", username, data, timestamp.Time)];
        }

        return [];
    }

    private List<EventDraft> Message(JsonElement root, string callId, string eventType, DateTimeOffset at)
    {
        var msgId = Text(root, "msg_id")!;
        var from = Text(root, "from") ?? throw Malformed($"Message {msgId} has no 'from'.");
        var to = Text(root, "to") ?? throw Malformed($"Message {msgId} has no 'to'.");
        var chatType = Text(root, "chat_type");
        if (string.Equals(from, options.BotUser, StringComparison.Ordinal))
        {
            return []; // The hub's own sends come back through the post-delivery callback; they are not news.
        }

        switch (eventType)
        {
            case "chat":
                break;
            case "chat_offline":
                // One per offline recipient, even for group messages: its own event type, so a flow on message.received runs once.
                return [ChatEvents.Other(msgId, "message.offline", chatType == "groupchat" ? Text(root, "group_id") ?? to : to, Data(root), at)
                    with { DedupKey = $"chat_offline:{msgId}:{to}" }];
            default:
                return [ChatEvents.Other(callId, "message." + eventType, to, Data(root), at)];
        }

        if (chatType == "notify")
        {
            return [ChatEvents.Other(msgId, "chat.notify", to, Data(root), at)];
        }

        var chat = chatType == "groupchat"
            ? new ChatRef(Text(root, "group_id") ?? to, "group")
            : new ChatRef(to == options.BotUser ? from : to, "direct");
        var payload = root.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p
            : throw Malformed($"Message {msgId} has no payload object.");
        var first = payload.TryGetProperty("bodies", out var bodies) && bodies.ValueKind == JsonValueKind.Array && bodies.GetArrayLength() > 0
            ? bodies[0] : throw Malformed($"Message {msgId} has no payload.bodies.");
        JsonElement? ext = payload.TryGetProperty("ext", out var e) && e.ValueKind == JsonValueKind.Object ? e : null;
        var raw = root.Clone();

        if (Text(first, "type") == "custom" && Text(first, "customEvent") == CardMessage.ActionEvent)
        {
            string Required(string name) => Field(ext, first, name)
                ?? throw Malformed($"The {CardMessage.ActionEvent} message {msgId} has no ext.{name}; the client app must send cardId, action and messageId.");
            var cardId = Required("cardId");
            var action = Required("action");
            var messageId = Required("messageId");
            var value = JsonSerializer.SerializeToElement(new { cardId, action });
            var data = new CardAction(Platform, action, value, cardId, new ChatUser(from), chat,
                new CardMessageRef(messageId, chat.Id), Field(ext, first, "comment") is { Length: > 0 } comment ? comment : null, raw)
            {
                Context = ext is { } x && x.TryGetProperty("context", out var context) ? ApprovalCard.ContextOf(context) : null,
            };
            return [ChatEvents.Action(msgId, data, at)];
        }

        var text = Text(first, "type") == "txt" ? Text(first, "msg") ?? "" : "";
        var message = new MessageReceived(Platform, msgId, text, new ChatUser(from), chat, Mentions(ext), Important: false, raw);
        return [ChatEvents.Message(msgId, message, at)];
    }

    /// <summary>A value of the client's action: <c>ext</c> first, then the custom body's <c>v2:customExts</c> / <c>customExts</c>.</summary>
    private static string? Field(JsonElement? ext, JsonElement body, string name)
    {
        if (ext is { } x && Text(x, name) is { } fromExt)
        {
            return fromExt;
        }

        if (body.TryGetProperty("v2:customExts", out var map) && map.ValueKind == JsonValueKind.Object && Text(map, name) is { } fromMap)
        {
            return fromMap;
        }

        if (body.TryGetProperty("customExts", out var list))
        {
            if (list.ValueKind == JsonValueKind.Object)
            {
                return Text(list, name);
            }

            if (list.ValueKind == JsonValueKind.Array)
            {
                return list.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object).Select(i => Text(i, name)).FirstOrDefault(v => v is not null);
            }
        }

        return null;
    }

    /// <summary>The UIKit's mention list, <c>ext.em_at_list</c>: user ids, or <c>"ALL"</c>.</summary>
    private static List<string> Mentions(JsonElement? ext)
    {
        if (ext is not { } x || !x.TryGetProperty("em_at_list", out var list))
        {
            return [];
        }

        return list.ValueKind switch
        {
            JsonValueKind.Array => [.. list.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!)],
            JsonValueKind.String => [list.GetString()!],
            _ => [],
        };
    }

    private static (string Text, DateTimeOffset Time) Timestamp(JsonElement root)
    {
        if (!root.TryGetProperty("timestamp", out var ts))
        {
            throw Malformed("The callback has no timestamp.");
        }

        var text = ts.ValueKind switch
        {
            JsonValueKind.Number => ts.GetRawText(),
            JsonValueKind.String => ts.GetString()!,
            _ => throw Malformed("The callback's timestamp must be a number of milliseconds."),
        };
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and < 253402300799999
            ? (text, DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : throw Malformed($"The callback's timestamp '{text}' is not a number of milliseconds.");
    }

    /// <summary>The user name in a presence callback's <c>{appkey}_{user}@easemob.com/{os}_{device}</c>.</summary>
    private static string Username(string user, string? appKey)
    {
        var name = user.Split('@')[0];
        if (appKey is { Length: > 0 } && name.StartsWith(appKey + "_", StringComparison.Ordinal))
        {
            return name[(appKey.Length + 1)..];
        }

        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        return name.Contains('#', StringComparison.Ordinal) && underscore > 0 ? name[(underscore + 1)..] : name;
    }

    /// <summary>The callback as event data: the platform's fields, without the signature, plus <c>platform</c>.</summary>
    private static JsonElement Data(JsonElement root)
    {
        var node = JsonNode.Parse(root.GetRawText())!.AsObject();
        node.Remove("security");
        node["platform"] = Platform;
        return JsonSerializer.SerializeToElement(node);
    }

    private static JsonElement With(JsonElement data, string name, string value)
    {
        var node = JsonNode.Parse(data.GetRawText())!.AsObject();
        node[name] = value;
        return JsonSerializer.SerializeToElement(node);
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);
}
