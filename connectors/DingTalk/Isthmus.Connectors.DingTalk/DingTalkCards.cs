using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// Renders the platform-neutral <see cref="ApprovalCard"/> as the public data of a DingTalk interactive card
/// (<c>cardData.cardParamMap</c>; DingTalk wants every value as a string). The card template, designed once in
/// DingTalk's card builder, shows these variables (docs/connectors/dingtalk.md lists them); its buttons call back
/// with <c>actionIds: [action]</c> and <c>params: {action, cardId, comment?}</c>.
/// </summary>
internal static class DingTalkCards
{
    /// <summary>The variables of a new card, buttons included.</summary>
    public static JsonObject ParamMap(ApprovalCard card)
    {
        var buttons = new JsonArray([.. card.Buttons.Select(b => (JsonNode)new JsonObject
        {
            ["action"] = b.Action,
            ["text"] = b.Text,
            ["style"] = b.Style,
        })]);
        return new JsonObject
        {
            ["cardId"] = card.Id,
            ["title"] = card.Title,
            ["text"] = card.Text ?? "",
            ["fields"] = Fields(card),
            ["markdown"] = card.ToMarkdown(),
            ["buttons"] = buttons.ToJsonString(),
            ["askComment"] = card.AskComment ? "true" : "false",
            ["url"] = card.Url ?? "",
            ["status"] = card.Status ?? "",
            ["done"] = string.IsNullOrEmpty(card.Status) ? "false" : "true",
            ["context"] = JsonSerializer.Serialize(card.Context),
        };
    }

    /// <summary>The variables of an update: the status shown instead of the buttons.</summary>
    public static JsonObject UpdateMap(ApprovalCard card)
    {
        var map = ParamMap(card);
        map["buttons"] = "[]";
        map["askComment"] = "false";
        map["done"] = "true";
        return map;
    }

    /// <summary>The card as plain text (title, text, fields, status), for logs and the emulator.</summary>
    public static string Flatten(JsonObject paramMap) => (string?)paramMap["markdown"] ?? (string?)paramMap["title"] ?? "";

    private static string Fields(ApprovalCard card) =>
        JsonSerializer.Serialize(card.Fields.Select(f => new { label = f.Label, value = f.Value }), ChatEvents.Json);
}
