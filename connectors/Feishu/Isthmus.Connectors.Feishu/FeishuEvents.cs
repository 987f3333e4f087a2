using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Feishu;

/// <summary>Turns Feishu event payloads into the normalized chat events (docs/connectors/chat.md).</summary>
internal static class FeishuEvents
{
    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);

    /// <summary><c>im.message.receive_v1</c> → <c>message.received</c>. Feishu has no urgent mark in the event: <c>important</c> is false.</summary>
    public static EventDraft Message(string platform, string eventId, JsonElement ev, DateTimeOffset? at)
    {
        var message = ev.At("message") ?? throw Malformed("im.message.receive_v1 has no event.message.");
        var messageId = message.Str("message_id") ?? throw Malformed("The message has no message_id.");
        var chatId = message.Str("chat_id") ?? throw Malformed("The message has no chat_id.");
        var sender = ev.Str("sender", "sender_id", "open_id") ?? ev.Str("sender", "sender_id", "user_id") ?? "";
        var mentions = new List<string>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (message.At("mentions") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var m in list.EnumerateArray())
            {
                if ((m.Str("id", "open_id") ?? m.Str("id", "user_id")) is { } id)
                {
                    mentions.Add(id);
                }

                if (m.Str("key") is { } key)
                {
                    names[key] = "@" + (m.Str("name") ?? key);
                }
            }
        }

        var text = Text(message.Str("message_type"), message.Str("content"));
        // Longest keys first, so @_user_10 is not read as @_user_1 followed by 0.
        foreach (var (key, name) in names.OrderByDescending(k => k.Key.Length))
        {
            text = text.Replace(key, name, StringComparison.Ordinal);
        }

        var chat = new ChatRef(chatId, message.Str("chat_type") == "p2p" ? "direct" : "group");
        var data = new MessageReceived(platform, messageId, text, new ChatUser(sender), chat, mentions, Important: false, message.Clone());
        return ChatEvents.Message(eventId, data, FeishuJson.Time(message.Str("create_time")) ?? at);
    }

    /// <summary><c>card.action.trigger</c> → <c>card.action</c>; <paramref name="key"/> is the pressed button's key.</summary>
    public static EventDraft CardAction(string platform, string eventId, JsonElement ev, DateTimeOffset? at, out string key)
    {
        var action = ev.At("action") ?? throw Malformed("card.action.trigger has no event.action.");
        var user = ev.Str("operator", "open_id") ?? ev.Str("operator", "user_id") ?? throw Malformed("card.action.trigger has no event.operator.open_id.");
        var value = action.At("value");
        key = value?.Str("action") ?? action.Str("name") ?? action.Str("tag") ?? "button";
        var comment = action.Str("form_value", "comment") ?? action.Str("input_value");
        var messageRef = new CardMessageRef(ev.Str("context", "open_message_id"), ev.Str("context", "open_chat_id"), ev.Str("token"));
        var data = new CardAction(platform, key, value?.Clone(), value?.Str("cardId"), new ChatUser(user), Chat: null, messageRef,
            string.IsNullOrEmpty(comment) ? null : comment, ev.Clone())
        {
            Context = ApprovalCard.ContextOf(value),
        };
        return ChatEvents.Action(eventId, data, at);
    }

    /// <summary>The legacy card callback (flat body) → <c>card.action</c>.</summary>
    public static EventDraft LegacyCardAction(string platform, string eventId, JsonElement body, DateTimeOffset at)
    {
        var action = body.At("action") ?? throw Malformed("The card callback has no action.");
        var user = body.Str("open_id") ?? body.Str("user_id") ?? throw Malformed("The card callback has no open_id.");
        var value = action.At("value");
        var key = value?.Str("action") ?? action.Str("name") ?? action.Str("tag") ?? "button";
        var messageRef = new CardMessageRef(body.Str("open_message_id"), body.Str("open_chat_id"), body.Str("token"));
        var data = new CardAction(platform, key, value?.Clone(), value?.Str("cardId"), new ChatUser(user), Chat: null, messageRef,
            action.Str("form_value", "comment") ?? action.Str("input_value"), body.Clone())
        {
            Context = ApprovalCard.ContextOf(value),
        };
        return ChatEvents.Action(eventId, data, at);
    }

    /// <summary><c>approval_instance</c> (v1 envelope) → <c>approval.changed</c>; <c>operate_time</c> may be a number or text.</summary>
    public static EventDraft Approval(string platform, string eventId, JsonElement ev, DateTimeOffset? at)
    {
        var instance = ev.Str("instance_code") ?? throw Malformed("approval_instance has no instance_code.");
        var status = ev.Str("status") ?? throw Malformed("approval_instance has no status.");
        var normalized = status switch
        {
            "PENDING" => "pending",
            "APPROVED" => "approved",
            "REJECTED" => "rejected",
            "CANCELED" => "canceled",
            "DELETED" => "deleted",
            _ => "other",
        };
        var when = FeishuJson.Time(ev.Str("operate_time")) ?? FeishuJson.Time(ev.Str("instance_operate_time")) ?? at;
        var data = new ApprovalChanged(platform, instance, normalized, status, Title: null, Requester: null, Operator: null, Comment: null, when, ev.Clone());
        return ChatEvents.Approval(eventId, data, when);
    }

    /// <summary>Any other event, under its own type (contact events as <c>contact.changed</c>), with the platform's fields.</summary>
    public static EventDraft Other(string platform, string eventId, string type, JsonElement ev, DateTimeOffset? at)
    {
        var data = ev.ValueKind == JsonValueKind.Object ? JsonNode.Parse(ev.GetRawText())!.AsObject() : new JsonObject { ["event"] = JsonNode.Parse(ev.GetRawText()) };
        data["platform"] = platform;
        data["eventType"] = type;
        var normalized = type.StartsWith("contact.", StringComparison.Ordinal) ? ChatEventTypes.ContactChanged : type;
        var key = ev.Str("object", "open_id") ?? ev.Str("object", "department_id") ?? ev.Str("instance_code");
        return ChatEvents.Other(eventId, normalized, key, JsonSerializer.SerializeToElement(data), at);
    }

    /// <summary>The readable text of a message's <c>content</c> (a JSON string): text as is, rich text (post) flattened.</summary>
    public static string Text(string? messageType, string? content)
    {
        if (content is null)
        {
            return "";
        }

        JsonElement c;
        try
        {
            c = JsonDocument.Parse(content).RootElement;
        }
        catch (JsonException)
        {
            return content;
        }

        if (messageType == "text" || c.Str("text") is not null)
        {
            return c.Str("text") ?? "";
        }

        if (messageType == "post")
        {
            // Received posts have {title, content}; sent ones are keyed by locale ({zh_cn: {title, content}}).
            var post = c.At("content") is not null ? c : c.ValueKind == JsonValueKind.Object ? c.EnumerateObject().Select(p => p.Value).FirstOrDefault() : default;
            var sb = new StringBuilder();
            if (post.ValueKind == JsonValueKind.Object && post.Str("title") is { Length: > 0 } title)
            {
                sb.Append(title).Append('\n');
            }

            if (post.ValueKind == JsonValueKind.Object && post.At("content") is { ValueKind: JsonValueKind.Array } lines)
            {
                foreach (var line in lines.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.Array))
                {
                    foreach (var part in line.EnumerateArray())
                    {
                        sb.Append(part.Str("text") ?? (part.Str("tag") == "at" ? "@" + (part.Str("user_name") ?? part.Str("user_id")) : ""));
                    }

                    sb.Append('\n');
                }
            }

            return sb.ToString().TrimEnd('\n');
        }

        return "";
    }
}
