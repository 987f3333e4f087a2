using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.DingTalk;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.DingTalk;

/// <summary>
/// A local DingTalk: the v1.0 API (access token, robot messages, interactive cards, todos), the legacy API (user
/// lookup), custom group robots, and callbacks to Isthmus encrypted and signed as DingTalk's event subscription
/// does (robot messages signed with the app secret). Tokens expire with DingTalk's codes (HTTP 401
/// InvalidAuthentication; errcode 88/40014), limits answer with DingTalk's codes (HTTP 403
/// Forbidden.AccessDenied.QpsLimitForAppkeyAndApi; errcode 130101), unknown users with theirs (60121, invalidStaffIdList).
/// Every secret here is a fixed test value.
/// </summary>
public sealed partial class DingTalkEmulator : PlatformEmulator
{
    /// <summary>The emulated app's appKey (also its robotCode and the owner key of its event subscription).</summary>
    public const string AppKey = "dingemulatorappkey";

    /// <summary>The emulated app's appSecret.</summary>
    public const string AppSecret = "emulator-app-secret-not-for-production";

    /// <summary>The event subscription's token.</summary>
    public const string CallbackToken = "emulator-callback-token";

    /// <summary>The event subscription's 43-character aes_key.</summary>
    public const string AesKey = "aXN0aG11cy1kaW5ndGFsay1lbXVsYXRvci1hZXNrZXk";

    /// <summary>The emulated organisation.</summary>
    public const string CorpId = "dingemulatorcorp";

    /// <summary>The card template id the emulator accepts.</summary>
    public const string CardTemplateId = "emulator-approval-card.schema";

    /// <summary>The custom group robot's name in the connection, its access token and its signing secret.</summary>
    public const string BotName = "ops";

    /// <inheritdoc cref="BotName"/>
    public const string BotAccessToken = "emulator-robot-ops";

    /// <inheritdoc cref="BotName"/>
    public const string BotSecret = "SECemulator0000000000000000000000000000000000000000000000000000";

    private readonly DingTalkCallbackCrypto _crypto = new(CallbackToken, AesKey, AppKey);
    private readonly ConcurrentDictionary<string, string> _todos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Name, string? Secret)> _bots = new(StringComparer.Ordinal)
    {
        [BotAccessToken] = (BotName, BotSecret),
    };

    private int _limited;

    public DingTalkEmulator(EmulatorOptions options) : base(options)
    {
        State.AddUser(new EmulatedUser("manager001", "Li Wei", "li.wei@example.com", "13800000001", "manager001"));
        State.AddUser(new EmulatedUser("staff002", "Zhang San", "zhang.san@example.com", "13800000002", "staff002"));
    }

    /// <inheritdoc/>
    public override string Platform => "dingtalk";

    /// <summary>How many calls were refused for going over a limit (QPS or robot per-minute).</summary>
    public int Limited => _limited;

    /// <summary>Each user's unionId, as DingTalk's todo API wants it.</summary>
    public static string UnionId(string userId) => "union-" + userId;

    /// <inheritdoc/>
    public override EmulatorConnection Connection() => new("dingtalk", new Dictionary<string, string>
    {
        ["appKey"] = AppKey,
        ["appSecret"] = AppSecret,
        ["token"] = CallbackToken,
        ["aesKey"] = AesKey,
        ["apiBaseUrl"] = BaseUrl,
        ["oapiBaseUrl"] = BaseUrl,
        ["cardTemplateId"] = CardTemplateId,
        ["bots"] = $"{{ {BotName}: {{ accessToken: {BotAccessToken}, secret: {BotSecret} }} }}",
    });

    /// <summary>Whether <paramref name="body"/> is the acknowledgement DingTalk expects: <c>success</c>, encrypted and signed.</summary>
    public bool IsSuccessAck(string body)
    {
        try
        {
            var ack = JsonNode.Parse(body)!.AsObject();
            var encrypt = (string)ack["encrypt"]!;
            return _crypto.Crypt.Verify((string)ack["msg_signature"]!, (string)ack["timeStamp"]!, (string)ack["nonce"]!, encrypt)
                && Encoding.UTF8.GetString(_crypto.Crypt.Decrypt(encrypt)) == "success";
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Pushes an event (its decrypted JSON, e.g. a <c>bpms_instance_change</c>) as the event subscription does.</summary>
    public Task<CallbackRecord> PushEventAsync(JsonObject plaintext, int repeat = 1, CancellationToken cancellationToken = default)
    {
        var text = plaintext.ToJsonString();
        return CallbackAsync("event", () => Encrypted(text), repeat, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default)
    {
        var message = State.Message(press.Message) ?? State.Messages.LastOrDefault(m => m.Kind == "card" && m.CardId == press.Message)
            ?? throw new KeyNotFoundException($"No card '{press.Message}' was sent.");
        if (message.Kind != "card" || message.CardId is null)
        {
            throw new InvalidOperationException($"Message '{press.Message}' is a {message.Kind}, not a card.");
        }

        var parameters = new JsonObject { ["action"] = press.Action, ["cardId"] = CardParam(message, "cardId") ?? message.CardId };
        if (CardParam(message, "context") is { Length: > 2 } context)
        {
            parameters["context"] = context; // as the card template is told to echo it
        }
        if (!string.IsNullOrEmpty(press.Comment))
        {
            parameters["comment"] = press.Comment;
        }

        var group = message.To.StartsWith("cid", StringComparison.Ordinal);
        var callback = new JsonObject
        {
            ["outTrackId"] = message.CardId,
            ["corpId"] = CorpId,
            ["userId"] = press.User,
            ["userIdType"] = 1,
            ["spaceType"] = group ? "IM_GROUP" : "IM_ROBOT",
            ["spaceId"] = group ? message.To : press.User,
            ["type"] = "actionCallback",
            ["extension"] = "{}",
            ["content"] = new JsonObject
            {
                ["cardPrivateData"] = new JsonObject { ["actionIds"] = new JsonArray(press.Action), ["params"] = parameters },
            }.ToJsonString(),
        };
        var text = callback.ToJsonString();
        return CallbackAsync("card", () => Encrypted(text), press.Repeat, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default)
    {
        var user = State.Users.GetValueOrDefault(say.User) ?? throw new KeyNotFoundException($"No user '{say.User}'.");
        var group = say.Chat is not null;
        var message = new JsonObject
        {
            ["msgtype"] = "text",
            ["text"] = new JsonObject { ["content"] = say.Text },
            ["msgId"] = State.NextId("msg"),
            ["createAt"] = State.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            ["conversationType"] = group ? "2" : "1",
            ["conversationId"] = say.Chat ?? "cid-direct-" + user.Id,
            ["senderId"] = "$:LWCP_v1:$" + user.Id,
            ["senderNick"] = user.Name,
            ["senderStaffId"] = user.Id,
            ["senderCorpId"] = CorpId,
            ["chatbotUserId"] = "$:LWCP_v1:$robot",
            ["robotCode"] = AppKey,
            ["isInAtList"] = group,
            ["atUsers"] = new JsonArray([.. (say.Mentions ?? []).Select(m => (JsonNode)new JsonObject { ["dingtalkId"] = "$:LWCP_v1:$" + m, ["staffId"] = m })]),
        };
        if (group)
        {
            message["conversationTitle"] = say.Chat;
        }

        var body = message.ToJsonString();
        return CallbackAsync("message", () =>
        {
            var timestamp = DingTalkSignatures.Milliseconds(State.Time.GetUtcNow());
            var request = new HttpRequestMessage(HttpMethod.Post, RequireCallbackUrl()) { Content = Json(Utf8(body)) };
            request.Headers.Add("timestamp", timestamp);
            request.Headers.Add("sign", DingTalkSignatures.RobotSign(AppSecret, timestamp));
            return request;
        }, say.Repeat, cancellationToken);
    }

    private HttpRequestMessage Encrypted(string plaintext)
    {
        var timestamp = DingTalkSignatures.Milliseconds(State.Time.GetUtcNow());
        var nonce = DingTalkCallbackCrypto.NewNonce();
        var sealedMessage = _crypto.Seal(plaintext, timestamp, nonce);
        var url = RequireCallbackUrl().ToString();
        url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") +
            $"msg_signature={sealedMessage.MsgSignature}&timestamp={timestamp}&nonce={nonce}";
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(Utf8(new { encrypt = sealedMessage.Encrypt })) };
    }

    /// <inheritdoc/>
    protected override void MapPlatformApi(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1.0/oauth2/accessToken", async (HttpContext http, CancellationToken _) =>
        {
            var body = await Body(http);
            return (string?)body?["appKey"] == AppKey && (string?)body?["appSecret"] == AppSecret
                ? Results.Json(new { accessToken = State.IssueToken(AppKey, Options.TokenLifetime), expireIn = (long)Options.TokenLifetime.TotalSeconds })
                : Results.Json(new { code = "invalidClientIdOrSecret", message = "无效的clientId或者clientSecret" }, statusCode: 400);
        });
        app.MapPost("/v1.0/robot/oToMessages/batchSend", (HttpContext http, CancellationToken _) => OpenApi(http, "batchSend", BatchSend));
        app.MapPost("/v1.0/robot/groupMessages/send", (HttpContext http, CancellationToken _) => OpenApi(http, "groupSend", GroupSend));
        app.MapPost("/v1.0/card/instances/createAndDeliver", (HttpContext http, CancellationToken _) => OpenApi(http, "createAndDeliver", CreateAndDeliver));
        app.MapPut("/v1.0/card/instances", (HttpContext http, CancellationToken _) => OpenApi(http, "updateCard", UpdateCard));
        app.MapPost("/v1.0/todo/users/{unionId}/tasks", (HttpContext http, string unionId) => OpenApi(http, "todo", body => CreateTodo(unionId, body)));
        app.MapPost("/topapi/v2/user/getbymobile", (HttpContext http, CancellationToken _) => Legacy(http, body =>
            State.FindUser(u => u.Mobile == (string?)body["mobile"]) is { } user
                ? Results.Json(new { errcode = 0, errmsg = "ok", result = new { userid = user.Id } })
                : Results.Json(new { errcode = 60121, errmsg = "找不到该用户" })));
        app.MapPost("/topapi/v2/user/get", (HttpContext http, CancellationToken _) => Legacy(http, body =>
            State.Users.GetValueOrDefault((string?)body["userid"] ?? "") is { } user
                ? Results.Json(new { errcode = 0, errmsg = "ok", result = new { userid = user.Id, unionid = UnionId(user.Id), name = user.Name, mobile = user.Mobile, job_number = user.EmployeeId } })
                : Results.Json(new { errcode = 60121, errmsg = "找不到该用户" })));
        app.MapPost("/robot/send", (HttpContext http, CancellationToken _) => Robot(http));
        MapAttendance(app);
        app.MapPost("/_emulator/event", async (HttpContext http, CancellationToken ct) =>
        {
            if (await Body(http) is not { } plaintext)
            {
                return Results.Problem("The body must be the event's JSON, e.g. {\"EventType\":\"bpms_instance_change\",…}.", statusCode: 400);
            }

            var repeat = int.TryParse(http.Request.Query["repeat"], out var r) ? r : 1;
            try
            {
                return Results.Json(await PushEventAsync(plaintext, repeat, ct));
            }
            catch (InvalidOperationException ex)
            {
                return Results.Problem(ex.Message, statusCode: 400);
            }
        });
    }

    private async Task<IResult> OpenApi(HttpContext http, string api, Func<JsonObject, IResult> handle)
    {
        var token = http.Request.Headers["x-acs-dingtalk-access-token"].ToString();
        if (!State.CheckToken(token, out _))
        {
            return Results.Json(new { code = "InvalidAuthentication", message = "不合法的access_token", requestid = State.NextId("req") }, statusCode: 401);
        }

        if (!State.TryCountSend("qps:" + api, 20, Scaled(TimeSpan.FromSeconds(1))))
        {
            Interlocked.Increment(ref _limited);
            return Results.Json(new { code = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", message = "应用调用该接口的请求数超过限流阈值", requestid = State.NextId("req") }, statusCode: 403);
        }

        return await Body(http) is { } body ? handle(body)
            : Results.Json(new { code = "InvalidParameter", message = "请求体不是JSON对象" }, statusCode: 400);
    }

    private async Task<IResult> Legacy(HttpContext http, Func<JsonObject, IResult> handle)
    {
        if (!State.CheckToken(http.Request.Query["access_token"].ToString(), out _))
        {
            return Results.Json(new { errcode = 88, sub_code = "40014", sub_msg = "不合法的access_token", errmsg = "ding talk error[subcode=40014,submsg=不合法的access_token]" });
        }

        return await Body(http) is { } body ? handle(body) : Results.Json(new { errcode = 40035, errmsg = "不合法的参数" });
    }

    private IResult BatchSend(JsonObject body)
    {
        var invalid = new JsonArray();
        var (kind, text) = MessageText(body);
        foreach (var id in (body["userIds"] as JsonArray ?? []).Select(u => (string?)u ?? ""))
        {
            if (State.Users.ContainsKey(id))
            {
                State.Record(new SentMessage(State.NextId("msg"), "app", id, kind, text, body.DeepClone(), null, State.Time.GetUtcNow()));
            }
            else
            {
                invalid.Add(id);
            }
        }

        return Results.Json(new JsonObject { ["processQueryKey"] = State.NextId("pqk"), ["invalidStaffIdList"] = invalid, ["flowControlledStaffIdList"] = new JsonArray() });
    }

    private IResult GroupSend(JsonObject body)
    {
        if ((string?)body["openConversationId"] is not { Length: > 0 } chat)
        {
            return Results.Json(new { code = "InvalidParameter", message = "openConversationId is required" }, statusCode: 400);
        }

        var (kind, text) = MessageText(body);
        State.Record(new SentMessage(State.NextId("msg"), "app", chat, kind, text, body.DeepClone(), null, State.Time.GetUtcNow()));
        return Results.Json(new { processQueryKey = State.NextId("pqk") });
    }

    private IResult CreateAndDeliver(JsonObject body)
    {
        var outTrackId = (string?)body["outTrackId"];
        var space = (string?)body["openSpaceId"] ?? "";
        if (string.IsNullOrEmpty(outTrackId) || (string?)body["cardTemplateId"] != CardTemplateId)
        {
            return Results.Json(new { code = "InvalidParameter", message = $"outTrackId is required and cardTemplateId must be {CardTemplateId}" }, statusCode: 400);
        }

        var to = space.StartsWith("dtv1.card//IM_ROBOT.", StringComparison.Ordinal) ? space["dtv1.card//IM_ROBOT.".Length..]
            : space.StartsWith("dtv1.card//IM_GROUP.", StringComparison.Ordinal) ? space["dtv1.card//IM_GROUP.".Length..] : null;
        var spaceType = space.Contains("IM_GROUP", StringComparison.Ordinal) ? "IM_GROUP" : "IM_ROBOT";
        var ok = to is not null && (spaceType == "IM_GROUP" || State.Users.ContainsKey(to));
        if (ok && !State.Messages.Any(m => m.Kind == "card" && m.CardId == outTrackId && m.To == to))
        {
            var map = body["cardData"]?["cardParamMap"] as JsonObject ?? [];
            State.Record(new SentMessage(State.NextId("card"), "app", to!, "card", (string?)map["markdown"] ?? "", body.DeepClone(), outTrackId, State.Time.GetUtcNow()));
        }

        return Results.Json(new JsonObject
        {
            ["success"] = true,
            ["result"] = new JsonObject
            {
                ["outTrackId"] = outTrackId,
                ["deliverResults"] = new JsonArray(new JsonObject
                {
                    ["spaceType"] = spaceType,
                    ["spaceId"] = to ?? space,
                    ["success"] = ok,
                    ["errorMsg"] = ok ? null : $"openSpaceId '{space}' names no user or group",
                    ["carrierId"] = ok ? State.NextId("carrier") : null,
                }),
            },
        });
    }

    private IResult UpdateCard(JsonObject body)
    {
        var outTrackId = (string?)body["outTrackId"];
        var cards = State.Messages.Where(m => m.Kind == "card" && m.CardId == outTrackId).ToList();
        if (cards.Count == 0)
        {
            return Results.Json(new { code = "InvalidParameter", message = $"card instance '{outTrackId}' does not exist" }, statusCode: 400);
        }

        var map = body["cardData"]?["cardParamMap"] as JsonObject;
        foreach (var card in cards)
        {
            card.Update(body.DeepClone(), (string?)map?["markdown"]);
        }

        return Results.Json(new { success = true, result = true });
    }

    private IResult CreateTodo(string unionId, JsonObject body)
    {
        var user = State.FindUser(u => UnionId(u.Id) == unionId);
        if (user is null)
        {
            return Results.Json(new { code = "InvalidParameter", message = $"unionId '{unionId}' is not a user" }, statusCode: 400);
        }

        var sourceId = (string?)body["sourceId"] ?? State.NextId("src");
        var id = _todos.GetOrAdd(sourceId, _ =>
        {
            var taskId = State.NextId("task");
            State.Record(new SentMessage(taskId, "app", user.Id, "todo", (string?)body["subject"] ?? "", body.DeepClone(), null, State.Time.GetUtcNow()));
            return taskId;
        });
        return Results.Json(new { id, subject = (string?)body["subject"], sourceId, creatorId = unionId, executorIds = new[] { unionId } });
    }

    private async Task<IResult> Robot(HttpContext http)
    {
        var query = http.Request.Query;
        if (!_bots.TryGetValue(query["access_token"].ToString(), out var bot))
        {
            return Results.Json(new { errcode = 300001, errmsg = "token is not exist" });
        }

        if (bot.Secret is { } secret)
        {
            var timestamp = query["timestamp"].ToString();
            var sign = query["sign"].ToString();
            var fresh = long.TryParse(timestamp, out var ms) && Math.Abs(State.Time.GetUtcNow().ToUnixTimeMilliseconds() - ms) <= 3_600_000;
            if (!fresh || sign != DingTalkSignatures.RobotSign(secret, timestamp))
            {
                return Results.Json(new { errcode = 310000, errmsg = fresh ? "sign not match" : "invalid timestamp" });
            }
        }

        if (!State.TryCountSend("robot:" + bot.Name, 20, Scaled(TimeSpan.FromMinutes(1))))
        {
            Interlocked.Increment(ref _limited);
            return Results.Json(new { errcode = 130101, errmsg = "send too fast, exceed 20 times per minute" });
        }

        if (await Body(http) is not { } body)
        {
            return Results.Json(new { errcode = 40035, errmsg = "缺少参数 json" });
        }

        var kind = (string?)body["msgtype"] ?? "";
        var text = kind switch
        {
            "text" => (string?)body["text"]?["content"],
            "markdown" => (string?)body["markdown"]?["text"],
            _ => null,
        };
        if (text is null)
        {
            return Results.Json(new { errcode = 40035, errmsg = "不支持的消息类型 " + kind });
        }

        State.Record(new SentMessage(State.NextId("robot"), "bot", bot.Name, kind, text, body.DeepClone(), null, State.Time.GetUtcNow()));
        return Results.Json(new { errcode = 0, errmsg = "ok" });
    }

    private static (string Kind, string Text) MessageText(JsonObject body)
    {
        JsonNode? param = null;
        try
        {
            param = body["msgParam"] is JsonValue v && v.TryGetValue<string>(out var s) ? JsonNode.Parse(s) : body["msgParam"];
        }
        catch (JsonException)
        {
        }

        return (string?)body["msgKey"] switch
        {
            "sampleMarkdown" => ("markdown", (string?)param?["text"] ?? ""),
            _ => ("text", (string?)param?["content"] ?? ""),
        };
    }

    private static string? CardParam(SentMessage message, string name) => (string?)message.Content["cardData"]?["cardParamMap"]?[name];

    private TimeSpan Scaled(TimeSpan window) => Options.RateLimitScale > 0 ? window / Options.RateLimitScale : window;

    private static async Task<JsonObject?> Body(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
