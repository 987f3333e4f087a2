using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.AgoraChat;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.AgoraChat;

/// <summary>
/// A local Agora Chat (Easemob IM) app: the token endpoint (client credentials, or an Agora AccessToken2 exchanged or
/// used directly; tokens expire with the platform's 401), one-to-one and group sends (5 KB limit, the per-second
/// quotas with their real answers), message rewrite, and post-delivery callbacks signed with the rule's secret.
/// A press is what the client app's card bubble sends: a <c>custom</c> message with <c>customEvent: approval_action</c>.
/// </summary>
public sealed class AgoraChatEmulator(EmulatorOptions options, string callbackSecret = AgoraChatEmulator.DefaultCallbackSecret) : PlatformEmulator(options)
{
    /// <summary>The org half of the emulated app key.</summary>
    public const string OrgName = "isthmus";

    /// <summary>The app half of the emulated app key.</summary>
    public const string AppName = "emulator";

    /// <summary>Test client id (obviously not a real one).</summary>
    public const string ClientId = "YXA6-emulator-client-id";

    /// <summary>Test client secret.</summary>
    public const string ClientSecret = "YXA6-emulator-client-secret-for-tests-only";

    /// <summary>Test Agora App ID (32 hex characters).</summary>
    public const string AppId = "0123456789abcdef0123456789abcdef";

    /// <summary>Test Agora App Certificate (32 hex characters).</summary>
    public const string AppCertificate = "fedcba9876543210fedcba9876543210";

    /// <summary>The callback rule's test secret.</summary>
    public const string DefaultCallbackSecret = "emulator-callback-secret-for-tests-only";

    /// <summary>The user the hub sends as, and the client app's cards answer to.</summary>
    public const string BotUser = "isthmus-bot";

    /// <summary>The app key, <c>org#app</c>.</summary>
    public const string AppKey = OrgName + "#" + AppName;

    private const int MaxMessageBytes = 5 * 1024;
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, string> _groups = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string Platform => "agora-chat";

    /// <inheritdoc/>
    public override EmulatorConnection Connection() => new(AgoraChatConnectorFactory.KindName, new Dictionary<string, string>
    {
        ["baseUrl"] = BaseUrl,
        ["orgName"] = OrgName,
        ["appName"] = AppName,
        ["clientId"] = ClientId,
        ["clientSecret"] = ClientSecret,
        ["callbackSecret"] = callbackSecret,
        ["botUser"] = BotUser,
    });

    /// <inheritdoc/>
    protected override void MapPlatformApi(IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { $"/{OrgName}/{AppName}", $"/app-id/{AppId}" })
        {
            var api = app.MapGroup(prefix);
            api.MapPost("/token", TokenAsync);
            api.MapPost("/messages/users", (HttpRequest request) => SendAsync(request, group: false));
            api.MapPost("/messages/chatgroups", (HttpRequest request) => SendAsync(request, group: true));
            api.MapPut("/messages/rewrite/{id}", RewriteAsync);
        }
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(press);
        var card = State.Message(press.Message) ?? throw new KeyNotFoundException($"No message '{press.Message}' was sent.");
        if (card.Kind != "card")
        {
            throw new InvalidOperationException($"Message '{press.Message}' is a {card.Kind} message, not a card.");
        }

        var shown = ((card.Updates is [.., var last] ? last["new_ext"] : null) ?? card.Content["ext"])?["card"];
        var actions = shown?["buttons"]?.AsArray().Select(b => b?["action"]?.GetValue<string>()).ToList() ?? [];
        if (!actions.Contains(press.Action))
        {
            throw new InvalidOperationException(actions.Count == 0
                ? $"Card '{press.Message}' shows no buttons (it was updated: {card.CurrentText.Split('\n')[^1]})."
                : $"Card '{press.Message}' has no button '{press.Action}'; it has: {string.Join(", ", actions)}.");
        }

        var ext = new JsonObject { ["cardId"] = card.CardId, ["action"] = press.Action, ["messageId"] = card.Id };
        if (shown?["context"] is JsonObject context)
        {
            ext["context"] = context.DeepClone(); // the client app echoes the card's context with the press
        }

        if (press.Comment is { } comment)
        {
            ext["comment"] = comment;
        }

        var body = new JsonObject
        {
            ["type"] = "custom",
            ["customEvent"] = CardMessage.ActionEvent,
            ["customExts"] = new JsonArray(new JsonObject { ["cardId"] = card.CardId }, new JsonObject { ["action"] = press.Action }),
            ["v2:customExts"] = new JsonObject { ["cardId"] = card.CardId, ["action"] = press.Action },
        };
        var callback = MessageCallback(press.User, _groups.TryGetValue(card.Id, out var group) ? group : null, "custom", body, ext);
        return CallbackAsync("press", () => Post(callback), press.Repeat, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var ext = new JsonObject();
        if (say.Mentions is { Count: > 0 } mentions)
        {
            ext["em_at_list"] = new JsonArray([.. mentions.Select(m => (JsonNode)m)]);
        }

        // Agora Chat has no "important" mark on messages: say.Important is not representable and is left out.
        var callback = MessageCallback(say.User, say.Chat, "text", new JsonObject { ["type"] = "txt", ["msg"] = say.Text }, ext);
        return CallbackAsync("say", () => Post(callback), say.Repeat, cancellationToken);
    }

    /// <summary>A post-delivery callback body for a message from <paramref name="from"/>, signed with the rule's secret.</summary>
    internal byte[] MessageCallback(string from, string? group, string contentType, JsonObject messageBody, JsonObject ext)
    {
        var msgId = State.NextId("13");
        var to = group ?? BotUser;
        var callback = new JsonObject
        {
            ["callId"] = $"{AppKey}_{msgId}",
            ["eventType"] = "chat",
            ["timestamp"] = State.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            ["chat_type"] = group is null ? "chat" : "groupchat",
            ["group_id"] = group,
            ["from"] = from,
            ["to"] = to,
            ["msg_id"] = msgId,
            ["payload"] = new JsonObject
            {
                ["ext"] = ext,
                ["bodies"] = new JsonArray(messageBody),
                ["from"] = from,
                ["to"] = to,
                ["type"] = group is null ? "chat" : "groupchat",
            },
            ["securityVersion"] = "1.0.0",
            ["appkey"] = AppKey,
            ["host"] = "emulator",
            ["content_type"] = $"chat:{(group is null ? "user" : "group")}:{contentType}",
        };
        if (group is null)
        {
            callback.Remove("group_id");
        }

        return Sign(callback);
    }

    /// <summary>Adds <c>security</c> = MD5(callId + secret + timestamp) to a callback body.</summary>
    internal byte[] Sign(JsonObject callback)
    {
        var timestamp = callback["timestamp"]!.ToJsonString();
        callback["security"] = CallbackSecurity.Sign(callback["callId"]!.GetValue<string>(), callbackSecret, timestamp);
        return JsonSerializer.SerializeToUtf8Bytes(callback);
    }

    private HttpRequestMessage Post(byte[] body) => new(HttpMethod.Post, RequireCallbackUrl()) { Content = Json(body) };

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var body = await ReadAsync(request);
        switch (body?["grant_type"]?.GetValue<string>())
        {
            case "client_credentials":
                if (body["client_id"]?.GetValue<string>() != ClientId || body["client_secret"]?.GetValue<string>() != ClientSecret)
                {
                    return Error(401, "invalid_grant", "client_id or client_secret is not valid for this app");
                }

                var ttl = body["ttl"] is JsonValue t && t.TryGetValue<long>(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : Options.TokenLifetime;
                ttl = ttl < Options.TokenLifetime ? ttl : Options.TokenLifetime;
                return Results.Json(new { access_token = State.IssueToken("app", ttl, "YWMt"), expires_in = (long)ttl.TotalSeconds, application = "emulator-application-uuid" });
            case "agora":
                var agora = Bearer(request);
                if (agora is null || AgoraAppToken(agora) is not { } expires)
                {
                    return Error(401, "auth_bad_access_token", "Unable to authenticate due to corrupt access token");
                }

                if (expires <= State.Time.GetUtcNow())
                {
                    return Error(401, "unauthorized", "Unable to authenticate due to expired access token");
                }

                var lifetime = Options.TokenLifetime;
                return Results.Json(new
                {
                    access_token = State.IssueToken("app", lifetime, "YWMt"),
                    expire_timestamp = (State.Time.GetUtcNow() + lifetime).ToUnixTimeMilliseconds(),
                });
            default:
                return Error(400, "unsupported_grant_type", "grant_type must be client_credentials, agora, password or inherit");
        }
    }

    private async Task<IResult> SendAsync(HttpRequest request, bool group)
    {
        if (Authorize(request) is { } refused)
        {
            return refused;
        }

        var body = await ReadAsync(request);
        if (body?["to"] is not JsonArray { Count: > 0 } to)
        {
            return Error(400, "message_send_error", "param to can't be empty");
        }

        if (body["from"] is JsonValue from && from.GetValue<string>().Length == 0)
        {
            return Error(400, "message_send_error", "param from can't be empty");
        }

        if (group && to.Count > 3)
        {
            return Error(400, "message_send_error", "params to's size can't exceed limit 3");
        }

        var type = body["type"]?.GetValue<string>();
        if (type is not ("txt" or "img" or "audio" or "video" or "file" or "loc" or "cmd" or "custom") || body["body"] is not JsonObject content)
        {
            return Error(400, "message_send_error", "param type or body is not valid");
        }

        if (Size(content) + Size(body["ext"]) > MaxMessageBytes)
        {
            return Error(400, "message_send_error", "message is too large");
        }

        if (group)
        {
            if (!State.TryCountSend("chatgroups-calls", Limit(20), Second))
            {
                return Error(429, "resource_limited", "This request has reached api limit");
            }

            if (!to.All(_ => State.TryCountSend("chatgroups-messages", Limit(20), Second)))
            {
                return Error(403, "forbidden_op", "message send reach limit");
            }
        }
        else if (!State.TryCountSend("users-calls", Limit(100), Second))
        {
            return Error(429, "resource_limited", "This request has reached api limit");
        }

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var recipient in to.Select(r => r!.GetValue<string>()))
        {
            var id = State.NextId("11");
            var isCard = type == "custom" && content["customEvent"]?.GetValue<string>() == CardMessage.CardEvent;
            var text = type == "txt" ? content["msg"]?.GetValue<string>() ?? "" : isCard ? CardText(body["ext"]?["card"]) : $"[{type}]";
            State.Record(new SentMessage(id, "app", recipient, isCard ? "card" : type == "txt" ? "text" : type, text, body.DeepClone(),
                isCard ? content["customExts"]?["cardId"]?.GetValue<string>() : null, State.Time.GetUtcNow()));
            if (group)
            {
                _groups[id] = recipient;
            }

            data[recipient] = id;
        }

        var path = group ? "/messages/chatgroups" : "/messages/users";
        return Results.Json(new
        {
            path,
            uri = $"{BaseUrl}/{OrgName}/{AppName}{path}",
            timestamp = State.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            organization = OrgName,
            application = "emulator-application-uuid",
            action = "post",
            data,
            duration = 0,
            applicationName = AppName,
        });
    }

    private async Task<IResult> RewriteAsync(HttpRequest request, string id)
    {
        if (Authorize(request) is { } refused)
        {
            return refused;
        }

        if (!State.TryCountSend("rewrite", Limit(100), Second))
        {
            return Error(429, "resource_limited", "This request has reached api limit");
        }

        var body = await ReadAsync(request);
        if (body?["new_msg"] is not JsonObject newMessage || newMessage["type"]?.GetValue<string>() is not ("txt" or "custom"))
        {
            return Error(400, "illegal_argument", "new_msg must be a txt or custom message");
        }

        if (State.Message(id) is not { } message)
        {
            return Error(404, "message_not_found", $"message {id} not found");
        }

        message.Update(body.DeepClone(), newMessage["type"]!.GetValue<string>() == "txt"
            ? newMessage["msg"]?.GetValue<string>() ?? ""
            : CardText(body["new_ext"]?["card"]));
        return Results.Json(new { path = "/messages/rewrite", action = "put", data = "success", timestamp = State.Time.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    /// <summary><c>null</c> when the bearer token is a live app token (Easemob, or an Agora app token used directly).</summary>
    private IResult? Authorize(HttpRequest request)
    {
        var token = Bearer(request);
        if (State.CheckToken(token, out var expired))
        {
            return null;
        }

        if (!expired && token is not null && AgoraAppToken(token) is { } agoraExpires)
        {
            expired = agoraExpires <= State.Time.GetUtcNow();
            if (!expired)
            {
                return null;
            }
        }

        return expired
            ? Error(401, "unauthorized", "Unable to authenticate due to expired access token")
            : Error(401, "auth_bad_access_token", "Unable to authenticate due to corrupt access token");
    }

    /// <summary>When a valid Agora chat app token for this app expires; <c>null</c> when it is not one.</summary>
    private static DateTimeOffset? AgoraAppToken(string token) =>
        AccessToken2.Read(token, AppCertificate) is { } fields && fields.AppId == AppId && fields.Privileges.ContainsKey(AccessToken2.AppPrivilege)
            ? DateTimeOffset.FromUnixTimeSeconds(fields.IssueTs + (long)fields.Expire)
            : null;

    private int Limit(int documented) => Math.Max(1, (int)Math.Round(documented * Options.RateLimitScale, MidpointRounding.AwayFromZero));

    private static string CardText(JsonNode? card)
    {
        if (card is null)
        {
            return "[custom]";
        }

        var lines = new List<string> { card["title"]?.GetValue<string>() ?? "" };
        if (card["text"]?.GetValue<string>() is { Length: > 0 } text)
        {
            lines.Add(text);
        }

        lines.AddRange(card["fields"]?.AsArray().Select(f => $"{f?["label"]}: {f?["value"]}") ?? []);
        lines.Add(card["status"]?.GetValue<string>()
            ?? string.Join(" / ", card["buttons"]?.AsArray().Select(b => b?["text"]?.GetValue<string>()) ?? []));
        return string.Join("\n", lines);
    }

    private static int Size(JsonNode? node) => node is null ? 0 : JsonSerializer.SerializeToUtf8Bytes(node).Length;

    private static string? Bearer(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } h && h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? h[7..].Trim() : null;

    private static async Task<JsonObject?> ReadAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private IResult Error(int status, string error, string description) => Results.Json(new
    {
        error,
        exception = "EasemobEmulatorException",
        timestamp = State.Time.GetUtcNow().ToUnixTimeMilliseconds(),
        duration = 0,
        error_description = description,
    }, statusCode: status);
}
