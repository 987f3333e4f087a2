using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Renders an <see cref="ApprovalCard"/> as a Feishu message card (card JSON 1.0): header, text, fields, then the
/// buttons (each carrying <c>{cardId, action}</c>), inside a form with a comment box when the card asks for one, or
/// the status line instead of the buttons once decided. <c>update_multi</c> is on so the card can be updated in place.
/// </summary>
public static class FeishuCard
{
    /// <summary>The card JSON.</summary>
    public static JsonObject Render(ApprovalCard card)
    {
        var elements = new JsonArray();
        if (!string.IsNullOrEmpty(card.Text))
        {
            elements.Add(Div(card.Text));
        }

        if (card.Fields.Count > 0)
        {
            var fields = new JsonArray();
            foreach (var f in card.Fields)
            {
                fields.Add(new JsonObject { ["is_short"] = true, ["text"] = Md($"**{f.Label}**\n{f.Value}") });
            }

            elements.Add(new JsonObject { ["tag"] = "div", ["fields"] = fields });
        }

        if (!string.IsNullOrEmpty(card.Url))
        {
            elements.Add(Div($"[Open]({card.Url})"));
        }

        if (!string.IsNullOrEmpty(card.Status))
        {
            elements.Add(new JsonObject { ["tag"] = "hr" });
            elements.Add(Div($"**{card.Status}**"));
        }
        else if (card.AskComment)
        {
            var form = new JsonArray
            {
                new JsonObject
                {
                    ["tag"] = "input",
                    ["name"] = "comment",
                    ["placeholder"] = Plain("Comment (optional)"),
                },
            };
            foreach (var b in card.Buttons)
            {
                var button = Button(card, b);
                button["action_type"] = "form_submit";
                button["name"] = b.Action;
                form.Add(button);
            }

            elements.Add(new JsonObject { ["tag"] = "form", ["name"] = "decision", ["elements"] = form });
        }
        else
        {
            elements.Add(new JsonObject { ["tag"] = "action", ["actions"] = new JsonArray([.. card.Buttons.Select(b => (JsonNode)Button(card, b))]) });
        }

        return new JsonObject
        {
            ["config"] = new JsonObject { ["wide_screen_mode"] = true, ["update_multi"] = true },
            ["header"] = new JsonObject
            {
                ["title"] = Plain(card.Title),
                ["template"] = string.IsNullOrEmpty(card.Status) ? "blue" : "grey",
            },
            ["elements"] = elements,
        };
    }

    private static JsonObject Button(ApprovalCard card, CardButton b) => new()
    {
        ["tag"] = "button",
        ["text"] = Plain(b.Text),
        ["type"] = b.Style switch { "primary" => "primary", "danger" => "danger", _ => "default" },
        ["value"] = new JsonObject(card.ButtonValue(b).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
    };

    private static JsonObject Div(string markdown) => new() { ["tag"] = "div", ["text"] = Md(markdown) };

    private static JsonObject Md(string content) => new() { ["tag"] = "lark_md", ["content"] = content };

    private static JsonObject Plain(string content) => new() { ["tag"] = "plain_text", ["content"] = content };
}
