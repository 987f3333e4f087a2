using System.Text.Json;
using System.Text.Json.Serialization;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// The event types every chat connector produces, with the same data shape on every platform, so a flow written
/// for one platform works on another. Platform-specific events keep the platform's own fields under <c>raw</c>.
/// </summary>
public static class ChatEventTypes
{
    /// <summary>Someone posted a message the app or bot can see.</summary>
    public const string MessageReceived = "message.received";

    /// <summary>Someone pressed a button on a card the bot sent.</summary>
    public const string CardAction = "card.action";

    /// <summary>An approval instance of the platform's own approval app changed status.</summary>
    public const string ApprovalChanged = "approval.changed";

    /// <summary>A contact (user or department) was created, changed or removed.</summary>
    public const string ContactChanged = "contact.changed";
}

/// <summary>A person on the platform.</summary>
public sealed record ChatUser(string Id, string? Name = null);

/// <summary>A conversation: <c>direct</c> (one-to-one with the bot) or <c>group</c>.</summary>
public sealed record ChatRef(string Id, string Type, string? Name = null);

/// <summary>Data of <c>message.received</c>.</summary>
public sealed record MessageReceived(
    string Platform,
    string MessageId,
    string Text,
    ChatUser Sender,
    ChatRef Chat,
    IReadOnlyList<string> Mentions,
    bool Important,
    JsonElement? Raw = null);

/// <summary>Data of <c>card.action</c>.</summary>
/// <param name="Action">The pressed button's key, e.g. <c>approve</c>.</param>
/// <param name="Value">The value the button carried when the card was sent (the card's <c>id</c>, the decision).</param>
/// <param name="CardId">The id given to the card when it was sent (e.g. the OA request id).</param>
/// <param name="Message">What identifies the sent card on the platform, for <c>update-card</c>.</param>
/// <param name="Comment">Text the person typed with the action, when the card asked for it.</param>
public sealed record CardAction(
    string Platform,
    string Action,
    JsonElement? Value,
    string? CardId,
    ChatUser User,
    ChatRef? Chat,
    CardMessageRef Message,
    string? Comment,
    JsonElement? Raw = null)
{
    /// <summary>The card's <c>context</c> as given to <c>send-card</c>, when the platform carried it back.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }
}

/// <summary>
/// Whatever the platform needs to update a sent card in place: a message id, and the one-time token or response
/// code some platforms hand out with the callback. Passed back unchanged as <c>update-card</c>'s <c>message</c>.
/// </summary>
public sealed record CardMessageRef(string? Id, string? ChatId = null, string? Token = null);

/// <summary>Data of <c>approval.changed</c>: <c>status</c> is one of pending, approved, rejected, canceled, deleted, other.</summary>
public sealed record ApprovalChanged(
    string Platform,
    string InstanceId,
    string Status,
    string PlatformStatus,
    string? Title,
    ChatUser? Requester,
    ChatUser? Operator,
    string? Comment,
    DateTimeOffset? Time,
    JsonElement? Raw = null);

/// <summary>Builds the <see cref="EventDraft"/>s of the normalized event types.</summary>
public static class ChatEvents
{
    /// <summary>Serializer settings of normalized event data (camelCase, nulls left out).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A <c>message.received</c> event, ordered per chat, deduplicated on the platform's event id.</summary>
    public static EventDraft Message(string eventId, MessageReceived data, DateTimeOffset? time) =>
        new(eventId, ChatEventTypes.MessageReceived, data.Chat.Id, "Message", data.Sender.Id, time,
            JsonSerializer.SerializeToUtf8Bytes(data, Json));

    /// <summary>A <c>card.action</c> event, ordered per card, deduplicated on the platform's event id.</summary>
    public static EventDraft Action(string eventId, CardAction data, DateTimeOffset? time) =>
        new(eventId, ChatEventTypes.CardAction, data.CardId ?? data.Message.Id, "Card", data.User.Id, time,
            JsonSerializer.SerializeToUtf8Bytes(data, Json));

    /// <summary>An <c>approval.changed</c> event, ordered per instance.</summary>
    public static EventDraft Approval(string eventId, ApprovalChanged data, DateTimeOffset? time) =>
        new(eventId, ChatEventTypes.ApprovalChanged, data.InstanceId, "Approval", data.Operator?.Id ?? data.Requester?.Id, time,
            JsonSerializer.SerializeToUtf8Bytes(data, Json));

    /// <summary>Any other platform event, kept as the platform sent it, under its own type (e.g. <c>contact.changed</c>).</summary>
    public static EventDraft Other(string eventId, string type, string? key, JsonElement data, DateTimeOffset? time) =>
        new(eventId, type, key, null, null, time, JsonSerializer.SerializeToUtf8Bytes(data, Json));
}
