using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// Turns a decrypted WeCom callback into normalized events: messages → <c>message.received</c> (deduplicated on
/// <c>MsgId</c>), <c>template_card_event</c> → <c>card.action</c>, <c>sys_approval_change</c> → <c>approval.changed</c>,
/// <c>change_contact</c> → <c>contact.changed</c>, any other event → <c>wecom.&lt;Event&gt;</c> with its fields.
/// </summary>
internal static class WeComEvents
{
    public const string Platform = "wecom";

    public static IReadOnlyList<EventDraft> Decode(XElement xml)
    {
        var type = xml.Child("MsgType") ?? throw Malformed("The message has no <MsgType>.");
        var from = xml.Child("FromUserName") ?? "";
        var created = xml.Child("CreateTime") ?? "";
        var time = long.TryParse(created, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : (DateTimeOffset?)null;
        var raw = JsonSerializer.SerializeToElement(XmlJson.ToJson(xml));
        if (type != "event")
        {
            return [Message(xml, type, from, created, time, raw)];
        }

        var name = xml.Child("Event") ?? throw Malformed("The event has no <Event>.");
        return name switch
        {
            "template_card_event" => [CardAction(xml, from, created, time, raw)],
            "sys_approval_change" => [Approval(xml, created, time, raw)],
            "change_contact" => [ChatEvents.Other($"contact:{xml.Child("ChangeType")}:{xml.Child("UserID") ?? xml.Child("Id")}:{created}",
                ChatEventTypes.ContactChanged, xml.Child("UserID") ?? xml.Child("Id"), raw, time)],
            _ => [ChatEvents.Other($"event:{name}:{from}:{created}", $"{Platform}.{name}", from.Length > 0 ? from : null, raw, time)],
        };
    }

    private static EventDraft Message(XElement xml, string type, string from, string created, DateTimeOffset? time, JsonElement raw)
    {
        var id = xml.Child("MsgId") is { Length: > 0 } msgId ? msgId : $"{from}:{created}";
        var text = type == "text" ? xml.Child("Content") ?? "" : "";
        // App messages arrive from one person's chat with the app; WeCom has no "important" mark on them.
        var data = new MessageReceived(Platform, id, text, new ChatUser(from), new ChatRef(from, "direct"), [], false, raw);
        return ChatEvents.Message(id, data, time);
    }

    private static EventDraft CardAction(XElement xml, string from, string created, DateTimeOffset? time, JsonElement raw)
    {
        var (key, context) = WeComCards.ReadButtonKey(xml.Child("EventKey") ?? "");
        var taskId = xml.Child("TaskId") ?? throw Malformed("The template_card_event has no <TaskId>.");
        var cardId = WeComTaskId.CardId(taskId);
        var selected = Selected(xml);
        var value = JsonSerializer.SerializeToElement(selected.Count == 0
            ? new Dictionary<string, object> { ["cardId"] = cardId, ["action"] = key }
            : new Dictionary<string, object> { ["cardId"] = cardId, ["action"] = key, ["selected"] = selected });
        var data = new CardAction(Platform, key, value, cardId, new ChatUser(from), new ChatRef(from, "direct"),
            new CardMessageRef(taskId, Token: xml.Child("ResponseCode")), null, raw)
        {
            Context = context,
        };
        return ChatEvents.Action($"card:{taskId}:{from}:{key}:{created}", data, time);
    }

    // Vote and multi-choice cards: QuestionKey → option ids. WeCom's samples spell them "OpitonIds/OpitonId".
    private static Dictionary<string, List<string>> Selected(XElement xml)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var item in xml.Element("SelectedItems")?.Elements("SelectedItem") ?? [])
        {
            var ids = (item.Element("OptionIds") ?? item.Element("OpitonIds"))?.Elements()
                .Where(e => e.Name.LocalName is "OptionId" or "OpitonId").Select(e => e.Value).ToList() ?? [];
            result[item.Child("QuestionKey") ?? ""] = ids;
        }

        return result;
    }

    private static EventDraft Approval(XElement xml, string created, DateTimeOffset? time, JsonElement raw)
    {
        var info = xml.Element("ApprovalInfo") ?? throw Malformed("The sys_approval_change event has no <ApprovalInfo>.");
        // SpNo looks numeric but is long: kept as text. Newer payloads also carry SpNoStr.
        var spNo = info.Child("SpNoStr") is { Length: > 0 } str ? str : info.Child("SpNo") ?? throw Malformed("The approval has no <SpNo>.");
        var status = info.Child("SpStatus") ?? "";
        var change = info.Child("StatuChangeEvent") ?? "";
        var latest = info.Elements("SpRecord").SelectMany(r => r.Elements("Details"))
            .Select(d => (User: d.Element("Approver")?.Child("UserId"), Speech: d.Child("Speech"), At: long.TryParse(d.Child("SpTime"), out var t) ? t : 0))
            .Where(d => d.At > 0).OrderBy(d => d.At).LastOrDefault();
        var comment = info.Elements("Comments").LastOrDefault();
        var (operatorId, text) = change == "10" && comment is not null
            ? (comment.Element("CommentUserInfo")?.Child("UserId"), comment.Child("CommentContent"))
            : (latest.User, latest.Speech);
        var requester = info.Element("Applyer")?.Child("UserId");
        var data = new ApprovalChanged(Platform, spNo, Status(status), status, info.Child("SpName"),
            requester is null ? null : new ChatUser(requester), operatorId is { Length: > 0 } ? new ChatUser(operatorId) : null,
            string.IsNullOrEmpty(text) ? null : text, time, raw);
        return ChatEvents.Approval($"approval:{spNo}:{change}:{created}", data, time);
    }

    /// <summary>SpStatus: 1 in progress, 2 approved, 3 rejected, 4 revoked, 6 revoked after approval, 7 deleted, 10 paid.</summary>
    public static string Status(string spStatus) => spStatus switch
    {
        "1" => "pending",
        "2" => "approved",
        "3" => "rejected",
        "4" or "6" => "canceled",
        "7" => "deleted",
        _ => "other",
    };

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);
}
