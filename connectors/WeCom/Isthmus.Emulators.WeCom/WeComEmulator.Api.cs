using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Isthmus.Connectors.WeCom;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.WeCom;

public sealed partial class WeComEmulator
{
    /// <inheritdoc/>
    protected override void MapPlatformApi(IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/gettoken", (string? corpid, string? corpsecret) =>
            corpid != CorpId ? Error(40013, "invalid corpid")
            : corpsecret != Secret ? Error(40001, "invalid credential, invalid secret")
            : Ok(new JsonObject { ["access_token"] = State.IssueToken(CorpId, Options.TokenLifetime), ["expires_in"] = (long)Options.TokenLifetime.TotalSeconds }));
        app.MapPost("/cgi-bin/message/send", async (HttpContext http, CancellationToken ct) => await WithToken(http, SendAsync));
        app.MapPost("/cgi-bin/message/update_template_card", async (HttpContext http, CancellationToken ct) => await WithToken(http, UpdateAsync));
        app.MapPost("/cgi-bin/appchat/send", async (HttpContext http, CancellationToken ct) => await WithToken(http, AppChatAsync));
        app.MapPost("/cgi-bin/user/get_userid_by_email", async (HttpContext http, CancellationToken ct) => await WithToken(http, body =>
            Lookup(u => string.Equals(u.Email, Text(body, "email"), StringComparison.OrdinalIgnoreCase))));
        app.MapPost("/cgi-bin/user/getuserid", async (HttpContext http, CancellationToken ct) => await WithToken(http, body => Lookup(u => u.Mobile == Text(body, "mobile"))));
        app.MapPost("/cgi-bin/webhook/send", async (HttpContext http, CancellationToken ct) => await BotAsync(http));
    }

    private static IResult Ok(JsonObject body)
    {
        body["errcode"] = 0;
        body["errmsg"] = "ok";
        return Results.Json(body);
    }

    // WeCom answers errors with HTTP 200 and an errcode.
    private static IResult Error(long code, string message) => Results.Json(new JsonObject { ["errcode"] = code, ["errmsg"] = message });

    private static string? Text(JsonObject body, string name) => body[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : body[name]?.ToJsonString();

    private async Task<IResult> WithToken(HttpContext http, Func<JsonObject, IResult> handle)
    {
        var token = http.Request.Query["access_token"].ToString();
        if (token.Length == 0)
        {
            return Error(41001, "access_token missing");
        }

        if (!State.CheckToken(token, out var expired))
        {
            return expired ? Error(42001, "access_token expired") : Error(40014, "invalid access_token");
        }

        var body = await ReadAsync(http);
        return body is null ? Error(47001, "data format error") : handle(body);
    }

    private static async Task<JsonObject?> ReadAsync(HttpContext http)
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

    private IResult Lookup(Func<EmulatedUser, bool> match) =>
        State.FindUser(match) is { } user ? Ok(new JsonObject { ["userid"] = user.Id }) : Error(46004, "user no exist");

    private IResult SendAsync(JsonObject body)
    {
        if (body["agentid"]?.GetValueKind() != JsonValueKind.Number || body["agentid"]!.GetValue<long>() != AgentId)
        {
            return Error(40056, "invalid agentid");
        }

        var type = Text(body, "msgtype");
        var users = (Text(body, "touser") ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        var known = users.Where(State.Users.ContainsKey).ToList();
        if (known.Count == 0)
        {
            return Error(81013, "user & party & tag all invalid");
        }

        if (Content(type, body) is not { } content)
        {
            return Error(40008, $"invalid message type '{type}'");
        }

        var card = type == "template_card" ? body["template_card"] as JsonObject : null;
        var taskId = card is null ? null : Text(card, "task_id");
        if (card is not null && (taskId is null || taskId.Length > 128 || !TaskIdPattern().IsMatch(taskId)))
        {
            return Error(40058, "invalid task_id: 1 to 128 bytes of 0-9 A-Z a-z _ - @");
        }

        if (taskId is not null && _tasks.ContainsKey(taskId))
        {
            return Error(40058, "task_id already used by this app");
        }

        foreach (var user in known)
        {
            if (!State.TryCountSend("user:" + user, Limit(UserPerWindow), RateWindow))
            {
                Interlocked.Increment(ref _rateLimited);
                return Error(45009, "api freq out of limit");
            }
        }

        var msgId = NextMsgId();
        string? code = null;
        foreach (var user in known)
        {
            var id = State.NextId("msg");
            var kind = card is null ? type! : "card";
            State.Record(new SentMessage(id, "app", user, kind, content, body.DeepClone(),
                taskId is null ? null : WeComTaskId.CardId(taskId), State.Time.GetUtcNow()));
            if (taskId is not null)
            {
                _tasks[taskId] = id;
                code ??= IssueCode(id);
            }
        }

        var answer = new JsonObject { ["invaliduser"] = string.Join('|', users.Except(known)), ["msgid"] = msgId };
        if (code is not null && Text(card!, "card_type") is "button_interaction" or "vote_interaction" or "multiple_interaction")
        {
            answer["response_code"] = code;
        }

        return Ok(answer);
    }

    private static string? Content(string? type, JsonObject body) => type switch
    {
        "text" or "markdown" => body[type]?["content"]?.GetValue<string>(),
        "template_card" when body["template_card"] is JsonObject card => Flatten(card),
        _ => null,
    };

    private IResult UpdateAsync(JsonObject body)
    {
        var code = Text(body, "response_code") ?? "";
        if (!_codes.TryGetValue(code, out var entry) || entry.Used || State.Time.GetUtcNow() - entry.Issued > TimeSpan.FromHours(72))
        {
            return Error(40058, "invalid response_code: unknown, already used or older than 72 hours");
        }

        if (State.Message(entry.MessageId) is not { } message)
        {
            return Error(40058, "invalid response_code");
        }

        string? text = body["button"]?["replace_name"] is JsonNode name
            ? Flatten(message.Content["template_card"], name.GetValue<string>())
            : body["template_card"] is JsonObject card ? Flatten(card) : null;
        if (text is null)
        {
            return Error(40058, "update_template_card needs button.replace_name or template_card");
        }

        entry.Used = true;
        message.Update(body.DeepClone(), text);

        return Ok(new JsonObject { ["invaliduser"] = new JsonArray() });
    }

    private IResult AppChatAsync(JsonObject body)
    {
        var type = Text(body, "msgtype");
        if (Text(body, "chatid") is not { Length: > 0 } chat)
        {
            return Error(86003, "chat not exist");
        }

        if (Content(type, body) is not { } content || type == "template_card")
        {
            return Error(40008, $"invalid message type '{type}'");
        }

        State.Record(new SentMessage(State.NextId("msg"), "app", chat, type!, content, body.DeepClone(), null, State.Time.GetUtcNow()));
        return Ok([]);
    }

    private async Task<IResult> BotAsync(HttpContext http)
    {
        if (http.Request.Query["key"].ToString() != BotKey)
        {
            return Error(93000, "invalid webhook url");
        }

        if (await ReadAsync(http) is not { } body || Content(Text(body, "msgtype"), body) is not { } content || Text(body, "msgtype") == "template_card")
        {
            return Error(40008, "invalid message type");
        }

        if (!State.TryCountSend("bot:" + BotKey, Limit(BotPerWindow), RateWindow))
        {
            Interlocked.Increment(ref _rateLimited);
            return Error(45009, "api freq out of limit");
        }

        State.Record(new SentMessage(State.NextId("msg"), "bot", BotName, Text(body, "msgtype")!, content, body, null, State.Time.GetUtcNow()));
        return Ok([]);
    }

    [GeneratedRegex("^[0-9A-Za-z_@-]+$")]
    private static partial Regex TaskIdPattern();
}
