using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// Renders <see cref="ApprovalCard"/> as a WeCom template card: <c>button_interaction</c> with one button per action
/// (its key comes back as <c>EventKey</c>), fields as <c>horizontal_content_list</c> (at most 6), the link as <c>card_action</c>.
/// </summary>
internal static class WeComCards
{
    /// <summary>The <c>template_card</c> of <c>message/send</c>.</summary>
    public static JsonObject Interactive(ApprovalCard card, string taskId)
    {
        var template = Common(card, "button_interaction");
        template["task_id"] = taskId;
        template["button_list"] = new JsonArray([.. card.Buttons.Select(b => (JsonNode)new JsonObject
        {
            ["text"] = b.Text,
            ["style"] = Style(b.Style),
            ["key"] = ButtonKey(b.Action, card.Context),
        })]);
        return template;
    }

    /// <summary>
    /// A button's key, which WeCom returns as <c>EventKey</c>: the action, and the card's context after a <c>~</c>
    /// as base64url JSON (WeCom returns nothing else of the card, and a key may hold 1024 bytes).
    /// </summary>
    public static string ButtonKey(string action, IReadOnlyDictionary<string, string> context) =>
        context.Count == 0 ? action : action + "~" + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(context));

    /// <summary>The action and context back out of an <c>EventKey</c>; a key of another card is its own action.</summary>
    public static (string Action, Dictionary<string, string>? Context) ReadButtonKey(string key)
    {
        var cut = key.IndexOf('~', StringComparison.Ordinal);
        if (cut < 0)
        {
            return (key, null);
        }

        try
        {
            return (key[..cut], JsonSerializer.Deserialize<Dictionary<string, string>>(Base64Url.DecodeFromChars(key.AsSpan(cut + 1))));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return (key, null);
        }
    }

    /// <summary>
    /// The body of <c>message/update_template_card</c> for a card that now shows <see cref="ApprovalCard.Status"/>:
    /// the whole card replaced by a notice when the card has a link (a notice needs one), else its buttons greyed out
    /// with the status as their text.
    /// </summary>
    public static JsonObject Update(ApprovalCard card, long agentId, string responseCode)
    {
        var body = new JsonObject { ["atall"] = 1, ["agentid"] = agentId, ["response_code"] = responseCode };
        var status = card.Status ?? "Done";
        if (card.Url is null)
        {
            body["button"] = new JsonObject { ["replace_name"] = status };
            return body;
        }

        var notice = Common(card with { Text = string.IsNullOrEmpty(card.Text) ? status : $"{status}\n{card.Text}" }, "text_notice");
        body["template_card"] = notice;
        return body;
    }

    private static JsonObject Common(ApprovalCard card, string type)
    {
        var template = new JsonObject
        {
            ["card_type"] = type,
            ["main_title"] = new JsonObject { ["title"] = card.Title },
        };
        if (!string.IsNullOrEmpty(card.Text))
        {
            template["sub_title_text"] = card.Text;
        }

        if (card.Fields.Count > 0)
        {
            template["horizontal_content_list"] = new JsonArray([.. card.Fields.Take(6).Select(f => (JsonNode)new JsonObject
            {
                ["keyname"] = f.Label,
                ["value"] = f.Value,
            })]);
        }

        if (card.Url is not null)
        {
            template["card_action"] = new JsonObject { ["type"] = 1, ["url"] = card.Url };
        }

        return template;
    }

    // WeCom button styles 1–4; 1 is its default. Which colour each number shows is not documented in our sources.
    private static int Style(string style) => style switch
    {
        "danger" => 2,
        "default" => 3,
        _ => 1,
    };
}
