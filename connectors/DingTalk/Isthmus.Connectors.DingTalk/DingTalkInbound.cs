using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// Verifies and decodes what DingTalk posts to <c>/hooks/{connection}</c>:
/// <list type="bullet">
/// <item>event-subscription pushes (<c>?msg_signature|signature, timestamp|timeStamp, nonce</c>, body <c>{"encrypt":…}</c>),
/// answered with the encrypted <c>success</c> DingTalk expects; interactive-card callbacks are accepted on the same
/// encrypted channel (their plaintext is the card callback object);</item>
/// <item>robot messages in HTTP mode (headers <c>timestamp</c> and <c>sign</c> keyed with the app secret, plain JSON body).</item>
/// </list>
/// Nothing is believed before the signature and the timestamp are checked.
/// </summary>
internal sealed class DingTalkInbound(DingTalkSettings settings, DingTalkCallbackCrypto crypto, TimeProvider time)
{
    public const string Platform = "dingtalk";

    private static readonly HashSet<string> UrlChecks = new(StringComparer.Ordinal)
    {
        "check_url", "check_create_suite_url", "check_update_suite_url",
    };

    public Inbound Receive(InboundRequest request)
    {
        var signature = Query(request, "msg_signature") ?? Query(request, "signature");
        if (signature is not null)
        {
            return Encrypted(request, signature);
        }

        if (request.Headers.TryGetValue("sign", out var sign) && !string.IsNullOrEmpty(sign))
        {
            return RobotMessage(request, sign);
        }

        throw new InboundRejectedException(InboundRejection.Unauthorized,
            "Neither the query 'msg_signature' (event subscription) nor the header 'sign' (robot message) is present.");
    }

    private Inbound Encrypted(InboundRequest request, string signature)
    {
        var timestampText = Query(request, "timestamp") ?? Query(request, "timeStamp")
            ?? throw new InboundRejectedException(InboundRejection.Unauthorized, "The query 'timestamp' is missing.");
        var nonce = Query(request, "nonce") ?? throw new InboundRejectedException(InboundRejection.Unauthorized, "The query 'nonce' is missing.");
        var body = InboundChecks.Json(request.Body);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("encrypt", out var encryptElement)
            || encryptElement.ValueKind != JsonValueKind.String || encryptElement.GetString() is not { Length: > 0 } encrypt)
        {
            throw new InboundRejectedException(InboundRejection.Malformed, "The body must be {\"encrypt\": \"<base64>\"}.");
        }

        if (!crypto.Crypt.Verify(signature, timestampText, nonce, encrypt))
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                "The msg_signature does not match the token, timestamp, nonce and ciphertext. Check the connection's 'token'.");
        }

        InboundChecks.Fresh(Milliseconds(timestampText, "query 'timestamp'"), time.GetUtcNow(), settings.Tolerance, "the query 'timestamp'");
        byte[] plaintext;
        try
        {
            plaintext = crypto.Crypt.Decrypt(encrypt);
        }
        catch (CryptographicException ex)
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                $"The ciphertext does not decrypt: {ex.Message}. Check the connection's 'aesKey' and 'ownerKey'.");
        }

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(plaintext).RootElement;
        }
        catch (JsonException)
        {
            throw new InboundRejectedException(InboundRejection.Malformed, "The decrypted message is not JSON.");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InboundRejectedException(InboundRejection.Malformed, "The decrypted message is not a JSON object.");
        }

        var events = Decode(root, plaintext);
        var ack = crypto.Success(DingTalkSignatures.Milliseconds(time.GetUtcNow()));
        return new Inbound(events, InboundChecks.JsonReply(ack));
    }

    private static List<EventDraft> Decode(JsonElement root, byte[] plaintext)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(plaintext))[..32];
        var eventType = Str(root, "EventType");
        if (eventType is null)
        {
            return Has(root, "outTrackId")
                ? [CardCallback(root, digest)]
                : throw new InboundRejectedException(InboundRejection.Malformed, "The decrypted message has neither 'EventType' nor 'outTrackId'.");
        }

        if (UrlChecks.Contains(eventType))
        {
            return [];
        }

        if (eventType == "bpms_instance_change")
        {
            return [Approval(root)];
        }

        var id = eventType == "bpms_task_change"
            ? $"bpms_task_change:{Str(root, "processInstanceId")}:{Str(root, "taskId") ?? Str(root, "activityId")}:{Str(root, "staffId")}:{Str(root, "type")}:{Str(root, "result")}"
            : $"{eventType}:{digest}";
        var type = eventType.StartsWith("user_", StringComparison.Ordinal) || eventType.StartsWith("org_dept_", StringComparison.Ordinal)
            ? ChatEventTypes.ContactChanged : eventType;
        var data = JsonSerializer.SerializeToElement(new { platform = Platform, eventType, raw = root }, ChatEvents.Json);
        var key = Str(root, "processInstanceId") ?? Str(root, "CorpId") ?? Str(root, "corpId");
        return [ChatEvents.Other(id, type, key, data, Time(root, "TimeStamp") ?? Time(root, "createTime"))];
    }

    private static EventDraft Approval(JsonElement root)
    {
        var instanceId = Str(root, "processInstanceId")
            ?? throw new InboundRejectedException(InboundRejection.Malformed, "bpms_instance_change has no 'processInstanceId'.");
        var type = Str(root, "type") ?? "";
        var result = Str(root, "result");
        var status = (type, result) switch
        {
            ("start", _) => "pending",
            ("finish", "agree") => "approved",
            ("finish", "refuse") => "rejected",
            ("terminate", _) => "canceled",
            ("delete", _) => "deleted",
            _ => "other",
        };
        var platformStatus = string.IsNullOrEmpty(result) ? type : $"{type}:{result}";
        var requester = Str(root, "staffId") is { } staff ? new ChatUser(staff) : null;
        var when = Time(root, "finishTime") ?? Time(root, "createTime");
        var data = new ApprovalChanged(Platform, instanceId, status, platformStatus, Str(root, "title"), requester, null,
            Str(root, "remark"), when, root);
        return ChatEvents.Approval($"bpms_instance_change:{instanceId}:{platformStatus}", data, when);
    }

    private static EventDraft CardCallback(JsonElement root, string digest)
    {
        var outTrackId = Str(root, "outTrackId")!;
        var userId = Str(root, "userId")
            ?? throw new InboundRejectedException(InboundRejection.Malformed, "The card callback has no 'userId'.");
        var content = root.TryGetProperty("content", out var c) ? c : default;
        if (content.ValueKind == JsonValueKind.String)
        {
            try
            {
                content = JsonDocument.Parse(content.GetString()!).RootElement;
            }
            catch (JsonException)
            {
                throw new InboundRejectedException(InboundRejection.Malformed, "The card callback's 'content' is not JSON.");
            }
        }

        var privateData = content.ValueKind == JsonValueKind.Object && content.TryGetProperty("cardPrivateData", out var p) ? p : default;
        var parameters = privateData.ValueKind == JsonValueKind.Object && privateData.TryGetProperty("params", out var ps) && ps.ValueKind == JsonValueKind.Object ? ps : default;
        var actionIds = privateData.ValueKind == JsonValueKind.Object && privateData.TryGetProperty("actionIds", out var ids) && ids.ValueKind == JsonValueKind.Array
            ? ids.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!).ToList() : [];
        var action = (parameters.ValueKind == JsonValueKind.Object ? Str(parameters, "action") : null) ?? actionIds.FirstOrDefault()
            ?? throw new InboundRejectedException(InboundRejection.Malformed, "The card callback names no action (content.cardPrivateData.actionIds or params.action).");
        var cardId = (parameters.ValueKind == JsonValueKind.Object ? Str(parameters, "cardId") : null) ?? outTrackId;
        var comment = parameters.ValueKind == JsonValueKind.Object ? Str(parameters, "comment") : null;
        var chat = (Str(root, "spaceType"), Str(root, "spaceId")) switch
        {
            ("IM_GROUP", { } space) => new ChatRef(space, "group"),
            ("IM_ROBOT" or "IM_SINGLE", { } space) => new ChatRef(space, "direct"),
            _ => null,
        };
        var value = JsonSerializer.SerializeToElement(new { cardId, action }, ChatEvents.Json);
        var data = new CardAction(Platform, action, value, cardId, new ChatUser(userId), chat, new CardMessageRef(outTrackId),
            string.IsNullOrWhiteSpace(comment) ? null : comment, root)
        {
            Context = parameters.ValueKind == JsonValueKind.Object ? Context(parameters) : null,
        };
        return ChatEvents.Action($"card:{digest}", data, null);
    }

    // The card template echoes the card's ${context} variable (a JSON object as text) in the press's params.
    private static Dictionary<string, string>? Context(JsonElement parameters)
    {
        if (!parameters.TryGetProperty("context", out var context))
        {
            return null;
        }

        try
        {
            return ApprovalCard.ContextOf(context.ValueKind == JsonValueKind.String ? JsonDocument.Parse(context.GetString()!).RootElement : context);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Inbound RobotMessage(InboundRequest request, string sign)
    {
        var timestampText = request.Headers.TryGetValue("timestamp", out var t) && !string.IsNullOrEmpty(t) ? t
            : throw new InboundRejectedException(InboundRejection.Unauthorized, "The header 'timestamp' is missing.");
        var expected = DingTalkSignatures.RobotSign(settings.AppSecret, timestampText);
        if (!InboundChecks.SameSignature(expected, sign))
        {
            throw new InboundRejectedException(InboundRejection.Unauthorized,
                "The header 'sign' does not match the timestamp and the app secret. Check the connection's 'appSecret'.");
        }

        InboundChecks.Fresh(Milliseconds(timestampText, "header 'timestamp'"), time.GetUtcNow(), settings.Tolerance, "the header 'timestamp'");
        var root = InboundChecks.Json(request.Body);
        if (root.ValueKind != JsonValueKind.Object || Str(root, "msgId") is not { } msgId)
        {
            throw new InboundRejectedException(InboundRejection.Malformed, "The robot message has no 'msgId'.");
        }

        var conversationId = Str(root, "conversationId")
            ?? throw new InboundRejectedException(InboundRejection.Malformed, "The robot message has no 'conversationId'.");
        var sender = Str(root, "senderStaffId") ?? Str(root, "senderId")
            ?? throw new InboundRejectedException(InboundRejection.Malformed, "The robot message has no 'senderStaffId' or 'senderId'.");
        var chat = new ChatRef(conversationId, Str(root, "conversationType") == "2" ? "group" : "direct", Str(root, "conversationTitle"));
        var bot = Str(root, "chatbotUserId");
        var mentions = root.TryGetProperty("atUsers", out var at) && at.ValueKind == JsonValueKind.Array
            ? at.EnumerateArray()
                .Where(u => u.ValueKind == JsonValueKind.Object && Str(u, "dingtalkId") != bot)
                .Select(u => Str(u, "staffId") ?? Str(u, "dingtalkId"))
                .OfType<string>().ToList()
            : [];
        // DingTalk's robot messages carry no urgent/DING mark: important is always false.
        var data = new MessageReceived(Platform, msgId, Text(root), new ChatUser(sender, Str(root, "senderNick")), chat, mentions, false, root);
        var when = Time(root, "createAt");
        return new Inbound([ChatEvents.Message(msgId, data, when)], InboundChecks.JsonReply(new { }));
    }

    private static string Text(JsonElement root)
    {
        switch (Str(root, "msgtype"))
        {
            case "text" when root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.Object:
                return Str(text, "content") ?? "";
            case "richText" when root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object
                && content.TryGetProperty("richText", out var parts) && parts.ValueKind == JsonValueKind.Array:
                return string.Concat(parts.EnumerateArray().Select(part => part.ValueKind == JsonValueKind.Object ? Str(part, "text") : null));
            default:
                return root.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Object ? Str(c, "recognition") ?? "" : "";
        }
    }

    private static DateTimeOffset Milliseconds(string text, string where) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and < 253402300799999
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new InboundRejectedException(InboundRejection.Malformed, $"The {where} must be milliseconds since 1970, not '{text}'.");

    private static DateTimeOffset? Time(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v))
        {
            return null;
        }

        long? ms = v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) => s,
            _ => null,
        };
        return ms is > 0 and < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms.Value) : null;
    }

    private static bool Has(JsonElement root, string name) => root.TryGetProperty(name, out _);

    private static string? Str(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        } : null;

    private static string? Query(InboundRequest request, string name) =>
        request.Query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : null;
}
