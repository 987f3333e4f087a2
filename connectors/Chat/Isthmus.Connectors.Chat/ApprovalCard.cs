using System.Text.Json;

namespace Isthmus.Connectors.Chat;

/// <summary>A label and its value on a card.</summary>
public sealed record CardField(string Label, string Value);

/// <summary>A button: its key (sent back as <c>card.action</c>'s <c>action</c>), its text and style.</summary>
public sealed record CardButton(string Action, string Text, string Style);

/// <summary>
/// The platform-neutral card of <c>send-card</c> and <c>update-card</c>; each connector renders it in its
/// platform's card format. Buttons default to Approve / Reject.
/// </summary>
/// <param name="Id">The caller's id for the card (e.g. the OA request id); comes back as <c>card.action</c>'s <c>cardId</c>.</param>
/// <param name="Status">Set on update: shown instead of the buttons, e.g. "Approved by Li Wei at 14:02".</param>
/// <param name="AskComment">Whether the card offers a comment box with the buttons.</param>
public sealed record ApprovalCard(
    string Id,
    string Title,
    string? Text,
    IReadOnlyList<CardField> Fields,
    IReadOnlyList<CardButton> Buttons,
    bool AskComment,
    string? Url,
    string? Status)
{
    /// <summary>
    /// Small text values carried with the card's buttons and given back as <c>card.action</c>'s <c>context</c>
    /// (e.g. the requester's email), so the flow that handles the press has what it needs without a lookup.
    /// </summary>
    public IReadOnlyDictionary<string, string> Context { get; init; } = new Dictionary<string, string>();

    /// <summary>What a button carries back: the card id, the button's key and the context.</summary>
    public Dictionary<string, string> ButtonValue(CardButton button)
    {
        var value = new Dictionary<string, string>(Context, StringComparer.Ordinal) { ["cardId"] = Id, ["action"] = button.Action };
        return value;
    }

    /// <summary>The context back out of a button value (everything but <c>cardId</c> and <c>action</c>).</summary>
    public static Dictionary<string, string>? ContextOf(System.Text.Json.JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.Object } v)
        {
            return null;
        }

        var context = v.EnumerateObject().Where(p => p.Name is not ("cardId" or "action"))
            .ToDictionary(p => p.Name, p => ActionPayload.Display(p.Value), StringComparer.Ordinal);
        return context.Count > 0 ? context : null;
    }

    /// <summary>The buttons a card has when none are given.</summary>
    public static readonly IReadOnlyList<CardButton> DefaultButtons =
        [new("approve", "Approve", "primary"), new("reject", "Reject", "danger")];

    /// <summary>Reads <c>card</c> from the payload.</summary>
    public static ApprovalCard Read(ActionPayload payload)
    {
        var card = payload.Section("card");
        var fields = new List<CardField>();
        switch (card.Optional("fields"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Object } map:
                fields.AddRange(map.EnumerateObject().Select(p => new CardField(p.Name, ActionPayload.Display(p.Value))));
                break;
            case { ValueKind: JsonValueKind.Array } list:
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("label", out var label) || !item.TryGetProperty("value", out var value))
                    {
                        throw card.Invalid("each of 'fields' must be { label, value }");
                    }

                    fields.Add(new CardField(ActionPayload.Display(label), ActionPayload.Display(value)));
                }

                break;
            default:
                throw card.Invalid("'fields' must be a map of label: value, or a list of { label, value }");
        }

        var buttons = new List<CardButton>();
        if (card.Optional("buttons") is { } given)
        {
            if (given.ValueKind != JsonValueKind.Array || given.GetArrayLength() is 0 or > 5)
            {
                throw card.Invalid("'buttons' must be a list of 1 to 5 { action, text, style? }");
            }

            foreach (var b in given.EnumerateArray())
            {
                if (b.ValueKind != JsonValueKind.Object || !b.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.String)
                {
                    throw card.Invalid("each button needs 'action' (its key), e.g. { action: approve, text: Approve }");
                }

                var key = action.GetString()!;
                var text = b.TryGetProperty("text", out var t) ? ActionPayload.Display(t) : key;
                var style = b.TryGetProperty("style", out var s) ? ActionPayload.Display(s) : "default";
                buttons.Add(new CardButton(key, text, style));
            }
        }

        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (card.Optional("context"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Object } map:
                foreach (var p in map.EnumerateObject())
                {
                    if (p.Name is "cardId" or "action")
                    {
                        throw card.Invalid($"'context' may not use the name '{p.Name}'; the card sets it");
                    }

                    context[p.Name] = ActionPayload.Display(p.Value);
                }

                if (context.Count > 8 || context.Sum(c => c.Key.Length + c.Value.Length) > 512)
                {
                    throw card.Invalid("'context' is for a few short values (at most 8, 512 characters in all); platforms limit what a button carries");
                }

                break;
            default:
                throw card.Invalid("'context' must be a map of name: value");
        }

        return new ApprovalCard(card.Text("id"), card.Text("title"), card.OptionalText("text"), fields,
            buttons.Count > 0 ? buttons : DefaultButtons, card.Flag("askComment"), card.OptionalText("url"), card.OptionalText("status"))
        {
            Context = context,
        };
    }

    /// <summary>The card as Markdown lines (title, text, fields, status), for platforms whose cards are Markdown.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string> { $"**{Title}**" };
        if (!string.IsNullOrEmpty(Text))
        {
            lines.Add(Text);
        }

        lines.AddRange(Fields.Select(f => $"**{f.Label}:** {f.Value}"));
        if (!string.IsNullOrEmpty(Status))
        {
            lines.Add($"**{Status}**");
        }

        return string.Join("\n\n", lines);
    }
}
