using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// Renders the platform-neutral card and Markdown messages as Slack Block Kit: a header, the text, the fields
/// (two columns, at most 10 per section), a comment box (<c>plain_text_input</c>) when asked, and an actions block
/// whose buttons carry <c>{"cardId":…,"action":…}</c> and the card's context as their value. An updated card shows its status instead of the buttons.
/// </summary>
internal static class SlackBlocks
{
    /// <summary>The block id of the comment box; its input's action id is <see cref="CommentAction"/>.</summary>
    public const string CommentBlock = "isthmus_comment";

    /// <summary>The action id of the comment box's input.</summary>
    public const string CommentAction = "comment";

    /// <summary>The block id of the buttons.</summary>
    public const string ActionsBlock = "isthmus_actions";

    private const int SectionLimit = 3000;
    private const int FieldLimit = 2000;

    /// <summary>The blocks of <paramref name="card"/>.</summary>
    public static JsonArray Card(ApprovalCard card)
    {
        var blocks = new JsonArray { new JsonObject { ["type"] = "header", ["text"] = Plain(Cut(card.Title, 150)) } };
        if (!string.IsNullOrEmpty(card.Text))
        {
            foreach (var chunk in Chunks(card.Text, SectionLimit))
            {
                blocks.Add(Section(chunk));
            }
        }

        foreach (var group in card.Fields.Chunk(10))
        {
            var fields = new JsonArray();
            foreach (var f in group)
            {
                fields.Add(Mrkdwn(Cut($"*{Escape(f.Label)}*\n{Escape(f.Value)}", FieldLimit)));
            }

            blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        }

        if (!string.IsNullOrEmpty(card.Url))
        {
            blocks.Add(Section($"<{card.Url}|Open>"));
        }

        if (!string.IsNullOrEmpty(card.Status))
        {
            blocks.Add(Section("*" + Escape(card.Status) + "*"));
            return blocks;
        }

        if (card.AskComment)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "input",
                ["block_id"] = CommentBlock,
                ["optional"] = true,
                ["label"] = Plain("Comment"),
                ["element"] = new JsonObject { ["type"] = "plain_text_input", ["action_id"] = CommentAction, ["multiline"] = true },
            });
        }

        var buttons = new JsonArray();
        foreach (var b in card.Buttons)
        {
            var button = new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = Cut(b.Action, 255),
                ["text"] = Plain(Cut(b.Text, 75)),
                ["value"] = JsonSerializer.Serialize(card.ButtonValue(b)),
            };
            if (b.Style is "primary" or "danger")
            {
                button["style"] = b.Style;
            }

            buttons.Add(button);
        }

        blocks.Add(new JsonObject { ["type"] = "actions", ["block_id"] = ActionsBlock, ["elements"] = buttons });
        return blocks;
    }

    /// <summary>The notification text of a card (shown in notifications and where blocks cannot be).</summary>
    public static string CardText(ApprovalCard card)
    {
        var text = new StringBuilder(card.Title);
        if (!string.IsNullOrEmpty(card.Status))
        {
            text.Append(": ").Append(card.Status);
        }

        return text.ToString();
    }

    /// <summary>Markdown (Slack's <c>mrkdwn</c>) in sections of at most 3000 characters, under a bold title when given.</summary>
    public static JsonArray Markdown(string? title, string text)
    {
        var blocks = new JsonArray();
        if (!string.IsNullOrEmpty(title))
        {
            blocks.Add(new JsonObject { ["type"] = "header", ["text"] = Plain(Cut(title, 150)) });
        }

        foreach (var chunk in Chunks(text, SectionLimit))
        {
            blocks.Add(Section(chunk));
        }

        return blocks;
    }

    private static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Mrkdwn(mrkdwn) };

    private static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary>Escapes the three characters Slack's text formatting reserves.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static IEnumerable<string> Chunks(string text, int size)
    {
        for (var i = 0; i < text.Length; i += size)
        {
            yield return text.Substring(i, Math.Min(size, text.Length - i));
        }
    }
}
