using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// An approval card as an Agora Chat message. The platform has no interactive card type, so a card is a
/// <c>custom</c> message with <c>customEvent: approval_card</c>, a few string <c>customExts</c> for list previews, and
/// the whole card in <c>ext.card</c> for the client app's custom bubble to render. A tap on a button makes the client
/// send back a <c>custom</c> message with <c>customEvent: approval_action</c> (see <see cref="CallbackReader"/>).
/// </summary>
internal static class CardMessage
{
    /// <summary>The custom event of a card sent by the hub.</summary>
    public const string CardEvent = "approval_card";

    /// <summary>The custom event of the client's answer to a button tap.</summary>
    public const string ActionEvent = "approval_action";

    /// <summary>The platform's limit on a message's body plus <c>ext</c>.</summary>
    public const int MaxBytes = 5 * 1024;

    /// <summary>The platform's limit on <c>customExts</c> entries.</summary>
    public const int MaxCustomExts = 16;

    /// <summary>The <c>body</c> of the custom message.</summary>
    public static Dictionary<string, object> Body(ApprovalCard card) => new()
    {
        ["customEvent"] = CardEvent,
        ["customExts"] = CustomExts(card),
    };

    /// <summary>The <c>ext</c> of the message: the whole card.</summary>
    public static Dictionary<string, object> Ext(ApprovalCard card) => new() { ["card"] = Card(card) };

    /// <summary>Refuses a card the platform would refuse (over 5 KB), saying by how much.</summary>
    public static void CheckSize(string action, object body, object ext)
    {
        var size = JsonSerializer.SerializeToUtf8Bytes(body, ChatEvents.Json).Length + JsonSerializer.SerializeToUtf8Bytes(ext, ChatEvents.Json).Length;
        if (size > MaxBytes)
        {
            throw ActionPayload.Invalid(action, $"the message is {size} bytes; Agora Chat accepts at most {MaxBytes} bytes of body plus ext. Shorten the card's text or fields");
        }
    }

    /// <summary>The card as plain text: what a client without the custom bubble can show.</summary>
    public static string PlainText(ApprovalCard card)
    {
        var text = new StringBuilder(card.Title);
        if (!string.IsNullOrEmpty(card.Text))
        {
            text.Append('\n').Append(card.Text);
        }

        foreach (var field in card.Fields)
        {
            text.Append('\n').Append(field.Label).Append(": ").Append(field.Value);
        }

        text.Append('\n').Append(card.Status ?? string.Join(" / ", card.Buttons.Select(b => b.Text)));
        return text.ToString();
    }

    private static Dictionary<string, string> CustomExts(ApprovalCard card)
    {
        var exts = new Dictionary<string, string>(StringComparer.Ordinal) { ["cardId"] = card.Id, ["title"] = card.Title };
        if (card.Status is { } status)
        {
            exts["status"] = status;
        }
        else
        {
            exts["actions"] = string.Join(",", card.Buttons.Select(b => b.Action));
        }

        return exts.Count <= MaxCustomExts ? exts : throw new InvalidOperationException("too many customExts");
    }

    private static Dictionary<string, object?> Card(ApprovalCard card)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = card.Id,
            ["title"] = card.Title,
            ["text"] = card.Text,
            ["fields"] = card.Fields.Select(f => new { label = f.Label, value = f.Value }).ToList(),
        };
        if (card.Status is { } status)
        {
            body["status"] = status;
        }
        else
        {
            body["buttons"] = card.Buttons.Select(b => new { action = b.Action, text = b.Text, style = b.Style }).ToList();
            body["askComment"] = card.AskComment;
        }

        if (card.Url is { } url)
        {
            body["url"] = url;
        }

        if (card.Context.Count > 0)
        {
            body["context"] = card.Context; // echoed by the client app in its approval_action answer
        }

        return body.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
    }
}
