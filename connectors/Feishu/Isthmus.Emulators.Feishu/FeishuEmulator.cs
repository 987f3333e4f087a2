using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Feishu;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.Feishu;

/// <summary>
/// A local Feishu/Lark: tenant tokens that expire (then <c>99991663</c>), messages and cards (<c>im/v1/messages</c>,
/// in-place card updates), user lookup by email or mobile, tasks, a custom group bot with signing, the documented send
/// limits (<c>99991400</c>, bot <c>11232</c>), and encrypted, signed callbacks to Isthmus for card buttons and messages.
/// </summary>
public sealed class FeishuEmulator(EmulatorOptions options) : PlatformEmulator(options)
{
    /// <summary>The app id (test value).</summary>
    public const string AppId = "cli_emulator0000001";

    /// <summary>The app secret (test value).</summary>
    public const string AppSecret = "emulator-app-secret";

    /// <summary>The Verification Token (test value).</summary>
    public const string VerificationToken = "emulator-verification-token";

    /// <summary>The Encrypt Key (test value).</summary>
    public const string EncryptKey = "emulator-encrypt-key";

    /// <summary>The custom bot's name in the connection YAML.</summary>
    public const string BotName = "ops";

    /// <summary>The custom bot's webhook token (test value).</summary>
    public const string BotToken = "emulator-bot-token";

    /// <summary>The custom bot's signing secret (test value).</summary>
    public const string BotSecret = "emulator-bot-secret";

    private const string Tenant = "emulator-tenant";
    private readonly Dictionary<string, string> _idempotent = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string Platform => "feishu";

    /// <summary>How many answers carried a rate-limit code (99991400 or 11232).</summary>
    public int RateLimitedAnswers => _rateLimited;

    private int _rateLimited;

    /// <inheritdoc/>
    public override EmulatorConnection Connection() => new("feishu", new Dictionary<string, string>
    {
        ["baseUrl"] = BaseUrl,
        ["appId"] = AppId,
        ["appSecret"] = AppSecret,
        ["verificationToken"] = VerificationToken,
        ["encryptKey"] = EncryptKey,
        ["bots"] = $"{{ {BotName}: {{ webhook: \"{BaseUrl}/open-apis/bot/v2/hook/{BotToken}\", secret: {BotSecret} }} }}",
    });

    /// <inheritdoc/>
    protected override void MapPlatformApi(IEndpointRouteBuilder app)
    {
        app.MapPost("/open-apis/auth/v3/tenant_access_token/internal", async (HttpRequest request) =>
        {
            var body = await Body(request);
            if (body.Str("app_id") != AppId || body.Str("app_secret") != AppSecret)
            {
                return Error(10014, "app secret invalid");
            }

            var token = State.IssueToken(AppId, Options.TokenLifetime, "t-");
            return Results.Json(new { code = 0, msg = "ok", tenant_access_token = token, expire = (int)Options.TokenLifetime.TotalSeconds });
        });
        app.MapPost("/open-apis/im/v1/messages", async (HttpRequest request) =>
        {
            if (Unauthorized(request) is { } denied)
            {
                return denied;
            }

            if (!State.TryCountSend("app", Limit(50), TimeSpan.FromSeconds(1)))
            {
                return RateLimited(FeishuErrors.RateLimited, "request trigger frequency limit");
            }

            var body = await Body(request);
            var idType = request.Query["receive_id_type"].ToString();
            var receiver = body.Str("receive_id") ?? "";
            if (Receiver(idType, receiver) is not { } to)
            {
                return Error(FeishuErrors.UserUnavailable, "Bot has NO availability to this user.");
            }

            var uuid = body.Str("uuid");
            lock (_idempotent)
            {
                if (uuid is not null && _idempotent.TryGetValue("m:" + uuid, out var earlier))
                {
                    return Ok(new { message_id = earlier, chat_id = to });
                }
            }

            var msgType = body.Str("msg_type") ?? "";
            if (msgType is not ("text" or "post" or "interactive") || JsonNode.Parse(body.Str("content") ?? "null") is not JsonObject content)
            {
                return Error(230001, "invalid message content");
            }

            var kind = msgType switch { "text" => "text", "post" => "markdown", _ => "card" };
            var cardId = kind == "card" ? FindButtonValues(content).Select(v => v["cardId"]?.GetValue<string>()).FirstOrDefault(v => v is not null) : null;
            var message = State.Record(new SentMessage(State.NextId("om_"), "app", to, kind, Flatten(content), content, cardId, State.Time.GetUtcNow()));
            lock (_idempotent)
            {
                if (uuid is not null)
                {
                    _idempotent["m:" + uuid] = message.Id;
                }
            }

            return Ok(new { message_id = message.Id, chat_id = to, msg_type = msgType });
        });
        app.MapMethods("/open-apis/im/v1/messages/{id}", ["PATCH"], async (string id, HttpRequest request) =>
        {
            if (Unauthorized(request) is { } denied)
            {
                return denied;
            }

            var message = State.Message(id);
            if (message is null || message.Kind != "card")
            {
                return Error(230011, "The message is not found or is not a card.");
            }

            var body = await Body(request);
            if (JsonNode.Parse(body.Str("content") ?? "null") is not JsonObject content
                || content["config"]?["update_multi"]?.GetValue<bool>() != true || message.Content["config"]?["update_multi"]?.GetValue<bool>() != true)
            {
                return Error(230001, "The card must have config.update_multi = true before and after the update.");
            }

            message.Update(content, Flatten(content));
            return Ok(new { });
        });
        app.MapPost("/open-apis/contact/v3/users/batch_get_id", async (HttpRequest request) =>
        {
            if (Unauthorized(request) is { } denied)
            {
                return denied;
            }

            var body = await Body(request);
            var list = new List<object>();
            foreach (var email in Strings(body, "emails"))
            {
                var user = State.FindUser(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
                list.Add(user is null ? new { email } : new { user_id = user.Id, email });
            }

            foreach (var mobile in Strings(body, "mobiles"))
            {
                var user = State.FindUser(u => u.Mobile == mobile);
                list.Add(user is null ? new { mobile } : new { user_id = user.Id, mobile });
            }

            return Ok(new { user_list = list });
        });
        app.MapPost("/open-apis/task/v2/tasks", async (HttpRequest request) =>
        {
            if (Unauthorized(request) is { } denied)
            {
                return denied;
            }

            var body = await Body(request);
            var member = body.At("members") is { ValueKind: JsonValueKind.Array } m && m.GetArrayLength() > 0 ? m[0].Str("id") : null;
            var idType = request.Query["user_id_type"].ToString();
            if (body.Str("summary") is not { Length: > 0 } summary || member is null || Receiver(idType is "" ? "open_id" : idType, member) is not { } to)
            {
                return Error(1470400, "invalid params: summary and an existing assignee are required");
            }

            var token = body.Str("client_token");
            lock (_idempotent)
            {
                if (token is not null && _idempotent.TryGetValue("t:" + token, out var earlier))
                {
                    return Ok(new { task = new { guid = earlier, summary } });
                }
            }

            var task = State.Record(new SentMessage(State.NextId("task-"), "app", to, "todo", summary + (body.Str("description") is { } d ? "\n" + d : ""),
                JsonNode.Parse(body.GetRawText())!, null, State.Time.GetUtcNow()));
            lock (_idempotent)
            {
                if (token is not null)
                {
                    _idempotent["t:" + token] = task.Id;
                }
            }

            return Ok(new { task = new { guid = task.Id, summary } });
        });
        app.MapPost("/open-apis/bot/v2/hook/{token}", async (string token, HttpRequest request) =>
        {
            if (token != BotToken)
            {
                return Results.Json(new { code = 19001, msg = "param invalid: incoming webhook access token invalid", data = new { } });
            }

            var body = await Body(request);
            var stamp = body.Str("timestamp");
            var now = State.Time.GetUtcNow().ToUnixTimeSeconds();
            if (stamp is null || body.Str("sign") is not { } sign
                || !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || Math.Abs(now - seconds) > 3600
                || sign != FeishuCrypto.BotSign(stamp, BotSecret))
            {
                return Results.Json(new { code = FeishuErrors.BotSignMismatch, msg = "sign match fail or timestamp is not within one hour from current time", data = new { } });
            }

            if (!State.TryCountSend("bot-s", Limit(5), TimeSpan.FromSeconds(1)) || !State.TryCountSend("bot-m", Limit(100), TimeSpan.FromMinutes(1)))
            {
                Interlocked.Increment(ref _rateLimited);
                return Results.Json(new { code = FeishuErrors.BotRateLimited, msg = "too many request", data = new { } });
            }

            var msgType = body.Str("msg_type");
            var content = msgType == "interactive" ? JsonNode.Parse(body.At("card")?.GetRawText() ?? "{}")! : JsonNode.Parse(body.At("content")?.GetRawText() ?? "{}")!;
            var kind = msgType switch { "text" => "text", "interactive" when FindButtonValues(content).Count == 0 => "markdown", "interactive" => "card", _ => "markdown" };
            State.Record(new SentMessage(State.NextId("bot-"), "bot", BotName, kind, Flatten(content), JsonNode.Parse(body.GetRawText())!, null, State.Time.GetUtcNow()));
            return Results.Json(new { code = 0, msg = "success", data = new { } });
        });
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(press);
        var message = State.Message(press.Message) ?? throw new KeyNotFoundException($"No sent message '{press.Message}'.");
        var user = State.Users.GetValueOrDefault(press.User) ?? throw new ArgumentException($"No user '{press.User}'; add one with POST /_emulator/users.");
        var card = message.Updates is [.., var last] ? last : message.Content;
        var value = FindButtonValues(card).FirstOrDefault(v => v["action"]?.GetValue<string>() == press.Action)
            ?? throw new ArgumentException($"The card '{press.Message}' has no button '{press.Action}' (now).");
        var action = new JsonObject { ["value"] = value.DeepClone(), ["tag"] = "button" };
        if (press.Comment is not null)
        {
            action["name"] = press.Action;
            action["form_value"] = new JsonObject { ["comment"] = press.Comment };
        }

        var envelope = Envelope("card.action.trigger", new JsonObject
        {
            ["operator"] = new JsonObject { ["open_id"] = user.Id, ["user_id"] = user.EmployeeId, ["tenant_key"] = Tenant },
            ["token"] = "c-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            ["action"] = action,
            ["host"] = "im_message",
            ["context"] = new JsonObject { ["open_message_id"] = message.Id, ["open_chat_id"] = ChatOf(message.To) },
        });
        return CallbackAsync("card.action.trigger", () => CallbackRequest(envelope), press.Repeat, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var user = State.Users.GetValueOrDefault(say.User) ?? throw new ArgumentException($"No user '{say.User}'; add one with POST /_emulator/users.");
        var mentions = new JsonArray();
        var prefix = new StringBuilder();
        var n = 0;
        foreach (var id in say.Mentions ?? [])
        {
            var key = $"@_user_{++n}";
            prefix.Append(key).Append(' ');
            mentions.Add(new JsonObject
            {
                ["key"] = key,
                ["id"] = new JsonObject { ["open_id"] = id },
                ["name"] = State.Users.GetValueOrDefault(id)?.Name ?? id,
                ["tenant_key"] = Tenant,
            });
        }

        var now = State.Time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var envelope = Envelope("im.message.receive_v1", new JsonObject
        {
            ["sender"] = new JsonObject
            {
                ["sender_id"] = new JsonObject { ["open_id"] = user.Id, ["user_id"] = user.EmployeeId },
                ["sender_type"] = "user",
                ["tenant_key"] = Tenant,
            },
            ["message"] = new JsonObject
            {
                ["message_id"] = State.NextId("om_"),
                ["chat_id"] = say.Chat ?? ChatOf(user.Id),
                ["chat_type"] = say.Chat is null ? "p2p" : "group",
                ["message_type"] = "text",
                ["content"] = new JsonObject { ["text"] = prefix + say.Text }.ToJsonString(),
                ["mentions"] = mentions,
                ["create_time"] = now,
            },
        });
        return CallbackAsync("im.message.receive_v1", () => CallbackRequest(envelope), say.Repeat, cancellationToken);
    }

    /// <summary>Builds a signed, encrypted callback request exactly as Feishu does (also used by tests).</summary>
    public HttpRequestMessage CallbackRequest(JsonObject envelope)
    {
        // Written as Feishu writes it, '+' and '/' unescaped: System.Text.Json would write '+' as \u002B, and receivers
        // that check the signature over JSON.stringify of the parsed body (the official Node SDK does) would refuse it.
        var body = Utf8($"{{\"encrypt\":\"{FeishuCrypto.Encrypt(EncryptKey, Encoding.UTF8.GetBytes(envelope.ToJsonString()))}\"}}");
        var timestamp = State.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var request = new HttpRequestMessage(HttpMethod.Post, RequireCallbackUrl()) { Content = Json(body) };
        request.Headers.Add("X-Lark-Request-Timestamp", timestamp);
        request.Headers.Add("X-Lark-Request-Nonce", nonce);
        request.Headers.Add("X-Lark-Signature", FeishuCrypto.EventSignature(timestamp, nonce, EncryptKey, body));
        return request;
    }

    private JsonObject Envelope(string type, JsonObject ev) => new()
    {
        ["schema"] = "2.0",
        ["header"] = new JsonObject
        {
            ["event_id"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["event_type"] = type,
            ["create_time"] = State.Time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["token"] = VerificationToken,
            ["app_id"] = AppId,
            ["tenant_key"] = Tenant,
        },
        ["event"] = ev,
    };

    private string? Receiver(string idType, string id) => idType switch
    {
        "open_id" => State.Users.ContainsKey(id) ? id : null,
        "user_id" => State.FindUser(u => u.EmployeeId == id)?.Id,
        "email" => State.FindUser(u => string.Equals(u.Email, id, StringComparison.OrdinalIgnoreCase))?.Id,
        "chat_id" => id.StartsWith("oc_", StringComparison.Ordinal) ? id : null,
        _ => null,
    };

    private IResult? Unauthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Error(FeishuErrors.TokenMissing, "Missing access token for authorization. Please make a request with token attached.");
        }

        return State.CheckToken(header["Bearer ".Length..], out _) ? null
            : Error(FeishuErrors.TenantTokenInvalid, "Invalid access token for authorization. Please make a request with token attached.");
    }

    private int Limit(int documented) => Math.Max(1, (int)(documented * Options.RateLimitScale));

    private IResult RateLimited(int code, string message)
    {
        Interlocked.Increment(ref _rateLimited);
        return Error(code, message);
    }

    private static string ChatOf(string to) => to.StartsWith("oc_", StringComparison.Ordinal) ? to : "oc_p2p_" + to;

    private static IResult Ok(object data) => Results.Json(new { code = 0, msg = "success", data });

    private static IResult Error(int code, string message) => Results.Json(new { code, msg = message, error = new { } }, statusCode: 400);

    private static async Task<JsonElement> Body(HttpRequest request)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}").RootElement;
        }
    }

    private static IEnumerable<string> Strings(JsonElement body, string name) =>
        body.At(name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Select(e => e.GetString() ?? "") : [];

    /// <summary>The <c>value</c> objects of every button on a card.</summary>
    public static List<JsonObject> FindButtonValues(JsonNode? node)
    {
        var found = new List<JsonObject>();
        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    if (o["tag"]?.GetValueKind() == JsonValueKind.String && o["tag"]!.GetValue<string>() == "button" && o["value"] is JsonObject v)
                    {
                        found.Add(v);
                    }

                    foreach (var (_, child) in o)
                    {
                        Walk(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Walk(child);
                    }

                    break;
            }
        }

        Walk(node);
        return found;
    }

    /// <summary>What a person reads: every text and content string of the message, in order.</summary>
    public static string Flatten(JsonNode? node)
    {
        var parts = new List<string>();
        void Walk(JsonNode? n, string? key)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var (k, child) in o)
                    {
                        Walk(child, k);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Walk(child, key);
                    }

                    break;
                case JsonValue v when key is "text" or "content" or "title" && v.GetValueKind() == JsonValueKind.String:
                    parts.Add(v.GetValue<string>());
                    break;
            }
        }

        Walk(node, null);
        return string.Join("\n", parts.Where(p => p.Length > 0));
    }
}
