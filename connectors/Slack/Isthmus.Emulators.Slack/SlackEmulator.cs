using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Slack;
using Isthmus.Emulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.Slack;

/// <summary>
/// A local Slack: the Web API methods Isthmus calls under <c>/api/</c> (chat.postMessage, chat.update,
/// conversations.open, users.lookupByEmail, auth.test) with Slack's <c>{"ok":false,"error":…}</c> answers, its
/// per-channel limit of about one message a second (HTTP 429, <c>Retry-After</c>, <c>ratelimited</c>), one incoming
/// webhook (<c>ops</c>), and callbacks signed with the signing secret exactly as Slack signs them: Events API
/// <c>event_callback</c>s for messages and form-encoded <c>block_actions</c> for button presses.
/// </summary>
public sealed class SlackEmulator(EmulatorOptions options) : PlatformEmulator(options)
{
    /// <summary>The emulator's signing secret (a fixed test value).</summary>
    public const string SigningSecret = "emulator-signing-secret-not-for-production";

    /// <summary>The emulator's bot token (a fixed test value). Slack bot tokens do not expire, so neither does this one.</summary>
    public const string BotToken = "xoxb-0000000000-emulator-bot-token";

    /// <summary>The workspace id.</summary>
    public const string TeamId = "T0EMULATOR";

    /// <summary>The app's id.</summary>
    public const string AppId = "A0EMULATOR";

    /// <summary>The bot user's id (a mention of it also produces an <c>app_mention</c> event).</summary>
    public const string BotUserId = "U0ISTHMUS";

    /// <summary>The name of the emulated incoming webhook.</summary>
    public const string WebhookName = "ops";

    private const string WebhookPath = "/services/" + TeamId + "/B0OPS/test";
    private int _rateLimited;
    private long _ts;

    /// <inheritdoc/>
    public override string Platform => "slack";

    /// <summary>How many calls the per-channel limit refused with HTTP 429.</summary>
    public int RateLimited => _rateLimited;

    /// <summary>The signature the emulator puts on a callback (Slack's <c>v0</c> signing).</summary>
    public static string SignatureFor(string secret, string timestamp, byte[] body) => SlackSignature.Compute(secret, timestamp, body);

    /// <summary>The form body of an interactivity callback: a single <c>payload</c> field holding the JSON.</summary>
    public static string InteractionBody(string payloadJson) => "payload=" + Uri.EscapeDataString(payloadJson);

    /// <inheritdoc/>
    public override EmulatorConnection Connection() => new("slack", new Dictionary<string, string>
    {
        ["botToken"] = BotToken,
        ["signingSecret"] = SigningSecret,
        ["apiBaseUrl"] = BaseUrl + "/api",
        ["bots"] = $"{{ {WebhookName}: \"{BaseUrl}{WebhookPath}\" }}",
    });

    /// <inheritdoc/>
    protected override void MapPlatformApi(IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/{method}", ["GET", "POST"], async (string method, HttpContext http) =>
        {
            var args = await ArgsAsync(http.Request).ConfigureAwait(false);
            var token = http.Request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
                ? auth[7..] : Str(args, "token");
            if (method != "api.test")
            {
                if (string.IsNullOrEmpty(token))
                {
                    return Error("not_authed");
                }

                if (token != BotToken)
                {
                    return Error("invalid_auth");
                }
            }

            return method switch
            {
                "api.test" => Results.Json(new { ok = true }),
                "auth.test" => Results.Json(new { ok = true, url = "https://emulator.slack.test/", team = "Emulator", user = "isthmus", team_id = TeamId, user_id = BotUserId, bot_id = "B0ISTHMUS" }),
                "chat.postMessage" => PostMessage(args, http.Response),
                "chat.update" => Update(args),
                "conversations.open" => Open(args),
                "users.lookupByEmail" => Lookup(args),
                _ => Error("unknown_method"),
            };
        });
        app.MapPost("/services/{team}/{bot}/{secret}", async (HttpContext http) =>
        {
            if (http.Request.Path != WebhookPath)
            {
                return Results.Text("no_service", statusCode: 404);
            }

            JsonObject? body;
            try
            {
                body = await JsonNode.ParseAsync(http.Request.Body).ConfigureAwait(false) as JsonObject;
            }
            catch (JsonException)
            {
                body = null;
            }

            if (body is null)
            {
                return Results.Text("invalid_payload", statusCode: 400);
            }

            if (Str(body, "text") is null && body["blocks"] is null)
            {
                return Results.Text("no_text", statusCode: 400);
            }

            if (!State.TryCountSend("webhook:" + WebhookName, 1, Window))
            {
                Interlocked.Increment(ref _rateLimited);
                http.Response.Headers.RetryAfter = "1";
                return Results.Text("rate_limited", statusCode: 429);
            }

            Record(NextTs(), "bot", WebhookName, body);
            return Results.Text("ok");
        });
    }

    private TimeSpan Window => TimeSpan.FromSeconds(0.9 / Math.Max(0.01, Options.RateLimitScale));

    private IResult PostMessage(JsonObject args, HttpResponse response)
    {
        var channel = Channel(Str(args, "channel"));
        if (channel is null)
        {
            return Error("channel_not_found");
        }

        if (!ValidBlocks(args, out var blocks))
        {
            return Error("invalid_blocks");
        }

        if (Str(args, "text") is not { Length: > 0 } && blocks is null)
        {
            return Error("no_text");
        }

        if (!State.TryCountSend("channel:" + channel, 1, Window))
        {
            Interlocked.Increment(ref _rateLimited);
            response.Headers.RetryAfter = "1";
            return Results.Json(new { ok = false, error = "ratelimited" }, statusCode: 429);
        }

        var ts = NextTs();
        Record(ts, "app", channel, args);
        return Results.Json(new JsonObject
        {
            ["ok"] = true,
            ["channel"] = channel,
            ["ts"] = ts,
            ["message"] = new JsonObject
            {
                ["type"] = "message", ["user"] = BotUserId, ["bot_id"] = "B0ISTHMUS", ["ts"] = ts, ["text"] = Str(args, "text"),
                ["blocks"] = blocks?.DeepClone(),
            },
        });
    }

    private IResult Update(JsonObject args)
    {
        var channel = Channel(Str(args, "channel"));
        if (channel is null)
        {
            return Error("channel_not_found");
        }

        if (Str(args, "ts") is not { } ts || State.Message(ts) is not { } message || message.To != channel)
        {
            return Error("message_not_found");
        }

        if (!ValidBlocks(args, out _))
        {
            return Error("invalid_blocks");
        }

        if (message.Via != "app")
        {
            return Error("cant_update_message");
        }

        message.Update(args.DeepClone(), Flatten(args));
        return Results.Json(new { ok = true, channel, ts, text = Str(args, "text") });
    }

    private IResult Open(JsonObject args)
    {
        var users = Str(args, "users")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (users.Length != 1)
        {
            return Error(users.Length == 0 ? "users_list_not_supplied" : "not_enough_users");
        }

        return State.Users.ContainsKey(users[0])
            ? Results.Json(new { ok = true, channel = new { id = "D" + users[0] } })
            : Error("user_not_found");
    }

    private IResult Lookup(JsonObject args)
    {
        var email = Str(args, "email");
        var user = email is null ? null : State.FindUser(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
        return user is null
            ? Error("users_not_found")
            : Results.Json(new { ok = true, user = new { id = user.Id, team_id = TeamId, name = user.Name, real_name = user.Name, profile = new { email = user.Email, real_name = user.Name } } });
    }

    /// <summary>The channel a message goes to: C…/G… as given, a user id or D… for a known user's direct channel.</summary>
    private string? Channel(string? id) => id switch
    {
        null or "" => null,
        _ when id[0] is 'C' or 'G' => id,
        _ when id[0] is 'U' or 'W' && State.Users.ContainsKey(id) => "D" + id,
        _ when id[0] is 'D' && State.Users.ContainsKey(id[1..]) => id,
        _ => null,
    };

    private static bool ValidBlocks(JsonObject args, out JsonArray? blocks)
    {
        blocks = null;
        var node = args["blocks"];
        if (node is JsonValue v && v.TryGetValue<string>(out var text))
        {
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return false;
            }
        }

        if (node is null)
        {
            return true;
        }

        if (node is not JsonArray array || array.Count > 50 || array.Any(b => b is not JsonObject o || Str(o, "type") is null))
        {
            return false;
        }

        blocks = array;
        return true;
    }

    private SentMessage Record(string ts, string via, string to, JsonObject content)
    {
        ValidBlocks(content, out var blocks);
        var cardId = blocks?.OfType<JsonObject>().Where(b => Str(b, "type") == "actions")
            .SelectMany(b => b["elements"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(e => CardIdOf(Str(e, "value"))).FirstOrDefault(id => id is not null);
        var kind = cardId is not null || blocks?.Any(b => Str((JsonObject)b!, "type") == "actions") == true ? "card" : blocks is not null ? "markdown" : "text";
        return State.Record(new SentMessage(ts, via, to, kind, Flatten(content), content.DeepClone(), cardId, State.Time.GetUtcNow()));
    }

    private static string? CardIdOf(string? value)
    {
        if (value is null || !value.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(value) is JsonObject o ? Str(o, "cardId") : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What a person reads: the text, then each block's text, fields and button labels.</summary>
    private static string Flatten(JsonObject content)
    {
        var lines = new List<string>();
        if (Str(content, "text") is { Length: > 0 } text)
        {
            lines.Add(text);
        }

        ValidBlocks(content, out var blocks);
        foreach (var block in blocks?.OfType<JsonObject>() ?? [])
        {
            if (block["text"] is JsonObject t && Str(t, "text") is { } bt)
            {
                lines.Add(bt);
            }

            foreach (var field in block["fields"] as JsonArray ?? [])
            {
                if (field is JsonObject f && Str(f, "text") is { } ft)
                {
                    lines.Add(ft.Replace('\n', ' '));
                }
            }

            var buttons = (block["elements"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(e => Str(e, "type") == "button").Select(e => "[" + Str(e["text"] as JsonObject ?? [], "text") + "]").ToList();
            if (buttons.Count > 0)
            {
                lines.Add(string.Join(" ", buttons));
            }
        }

        return string.Join("\n", lines);
    }

    private string NextTs()
    {
        var n = Interlocked.Increment(ref _ts);
        return string.Create(CultureInfo.InvariantCulture, $"{State.Time.GetUtcNow().ToUnixTimeSeconds()}.{n:D6}");
    }

    // ---- callbacks ---------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(press);
        var url = RequireCallbackUrl();
        var message = State.Message(press.Message) ?? throw new KeyNotFoundException($"No sent message '{press.Message}'.");
        var current = (message.Updates is [.., var last] ? last as JsonObject : null) ?? (JsonObject)message.Content;
        ValidBlocks(current, out var blocks);
        var actions = blocks?.OfType<JsonObject>().FirstOrDefault(b => Str(b, "type") == "actions");
        var buttons = (actions?["elements"] as JsonArray ?? []).OfType<JsonObject>().Where(e => Str(e, "type") == "button").ToList();
        var button = buttons.FirstOrDefault(b => Str(b, "action_id") == press.Action)
            ?? throw new InvalidOperationException($"Message '{press.Message}' has no button '{press.Action}' now; its buttons: {(buttons.Count == 0 ? "none" : string.Join(", ", buttons.Select(b => Str(b, "action_id"))))}.");
        var hasComment = blocks!.OfType<JsonObject>().Any(b => Str(b, "block_id") == "isthmus_comment");
        if (press.Comment is not null && !hasComment)
        {
            throw new InvalidOperationException($"Message '{press.Message}' has no comment box (send the card with askComment: true).");
        }

        var user = State.Users.GetValueOrDefault(press.User) ?? new EmulatedUser(press.User, press.User);
        var channel = message.Via == "app" ? message.To : "C0" + message.To.ToUpperInvariant();
        var now = State.Time.GetUtcNow();
        var actionTs = string.Create(CultureInfo.InvariantCulture, $"{now.ToUnixTimeMilliseconds() / 1000m:0.000000}");
        var values = new JsonObject();
        if (hasComment)
        {
            values["isthmus_comment"] = new JsonObject { ["comment"] = new JsonObject { ["type"] = "plain_text_input", ["value"] = press.Comment } };
        }

        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = user.Id, ["username"] = user.Name, ["name"] = user.Name, ["team_id"] = TeamId },
            ["api_app_id"] = AppId,
            ["token"] = "emulator-verification-token",
            ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = message.Id, ["channel_id"] = channel, ["is_ephemeral"] = false },
            ["trigger_id"] = State.NextId("1000.") + ".emulator",
            ["team"] = new JsonObject { ["id"] = TeamId, ["domain"] = "emulator" },
            ["channel"] = new JsonObject { ["id"] = channel, ["name"] = channel.StartsWith('D') ? "directmessage" : channel.ToLowerInvariant() },
            ["message"] = new JsonObject { ["type"] = "message", ["ts"] = message.Id, ["user"] = BotUserId, ["text"] = Str(current, "text"), ["blocks"] = blocks!.DeepClone() },
            ["state"] = new JsonObject { ["values"] = values },
            ["response_url"] = $"{BaseUrl}/actions/{TeamId}/{message.Id}/emulator",
            ["actions"] = new JsonArray
            {
                new JsonObject
                {
                    ["action_id"] = press.Action, ["block_id"] = Str(actions!, "block_id"), ["text"] = button["text"]?.DeepClone(),
                    ["value"] = Str(button, "value"), ["style"] = Str(button, "style"), ["type"] = "button", ["action_ts"] = actionTs,
                },
            },
        };
        // The same interaction (same trigger id) on each delivery, each signed anew.
        var body = Encoding.UTF8.GetBytes(InteractionBody(payload.ToJsonString()));
        var attempt = 0;
        return CallbackAsync("press", () => Signed(url, body, "application/x-www-form-urlencoded", attempt++), press.Repeat, cancellationToken);
    }

    /// <inheritdoc/>
    public override async Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var url = RequireCallbackUrl();
        var text = say.Text;
        foreach (var mention in say.Mentions ?? [])
        {
            if (!text.Contains($"<@{mention}", StringComparison.Ordinal))
            {
                text += $" <@{mention}>";
            }
        }

        var channel = say.Chat ?? "D" + say.User;
        var channelType = say.Chat is null ? "im" : channel.StartsWith('G') ? "group" : "channel";
        var ts = NextTs();
        var result = await Deliver(Posted("message")).ConfigureAwait(false);
        if (channelType != "im" && text.Contains($"<@{BotUserId}", StringComparison.Ordinal))
        {
            // A mention of the app in a channel is delivered twice, as Slack does: message and app_mention.
            result = await Deliver(Posted("app_mention")).ConfigureAwait(false);
        }

        if (say.Important)
        {
            // Slack marks a message important by pinning it: the author pins it right after posting.
            result = await Deliver(new JsonObject
            {
                ["type"] = "pin_added", ["user"] = say.User, ["channel_id"] = channel, ["item_user"] = say.User, ["event_ts"] = NextTs(),
                ["item"] = new JsonObject
                {
                    ["type"] = "message", ["channel"] = channel, ["created_by"] = say.User,
                    ["created"] = State.Time.GetUtcNow().ToUnixTimeSeconds(),
                    ["message"] = new JsonObject { ["type"] = "message", ["user"] = say.User, ["text"] = text, ["ts"] = ts, ["pinned_to"] = new JsonArray(channel) },
                },
            }).ConfigureAwait(false);
        }

        return result;

        JsonObject Posted(string type)
        {
            var ev = new JsonObject
            {
                ["type"] = type, ["user"] = say.User, ["text"] = text, ["ts"] = ts, ["channel"] = channel, ["event_ts"] = ts,
                ["client_msg_id"] = Guid.NewGuid().ToString(),
            };
            if (type == "message")
            {
                ev["channel_type"] = channelType;
            }

            return ev;
        }

        Task<CallbackRecord> Deliver(JsonObject ev)
        {
            var envelope = new JsonObject
            {
                ["token"] = "emulator-verification-token",
                ["team_id"] = TeamId,
                ["api_app_id"] = AppId,
                ["event"] = ev,
                ["type"] = "event_callback",
                ["event_id"] = "Ev" + State.NextId("EMU"),
                ["event_time"] = State.Time.GetUtcNow().ToUnixTimeSeconds(),
                ["authorizations"] = new JsonArray { new JsonObject { ["team_id"] = TeamId, ["user_id"] = BotUserId, ["is_bot"] = true } },
            };
            var body = Encoding.UTF8.GetBytes(envelope.ToJsonString());
            var attempt = 0;
            return CallbackAsync("say", () => Signed(url, body, "application/json", attempt++), say.Repeat, cancellationToken);
        }
    }

    private HttpRequestMessage Signed(Uri url, byte[] body, string contentType, int attempt)
    {
        var timestamp = State.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.Add(SlackSignature.TimestampHeader, timestamp);
        request.Headers.Add(SlackSignature.SignatureHeader, SignatureFor(SigningSecret, timestamp, body));
        if (attempt > 0)
        {
            // Slack's retries of an Events API delivery say which attempt and why.
            request.Headers.Add("X-Slack-Retry-Num", attempt.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        }

        return request;
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static async Task<JsonObject> ArgsAsync(HttpRequest request)
    {
        var args = new JsonObject();
        foreach (var (key, value) in request.Query)
        {
            args[key] = value.ToString();
        }

        if (request.HasFormContentType)
        {
            foreach (var (key, value) in await request.ReadFormAsync().ConfigureAwait(false))
            {
                args[key] = value.ToString();
            }
        }
        else if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                if (await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) is JsonObject body)
                {
                    foreach (var (key, value) in body)
                    {
                        args[key] = value?.DeepClone();
                    }
                }
            }
            catch (JsonException)
            {
                args["__invalid_json"] = true;
            }
        }

        return args;
    }

    private static IResult Error(string error) => Results.Json(new { ok = false, error });

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
