using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// A Feishu or Lark app (and its custom group bots): events and card callbacks in at <c>/hooks/{connection}</c>,
/// the chat actions out (docs/connectors/chat.md, docs/connectors/feishu.md).
/// </summary>
internal sealed class FeishuConnector : IInboundConnector, IOutboundConnector
{
    private static readonly string[] Supported =
        [ChatActions.SendText, ChatActions.SendMarkdown, ChatActions.SendCard, ChatActions.UpdateCard, ChatActions.CreateTodo];

    private readonly FeishuSettings _settings;
    private readonly FeishuInbound _inbound;
    private readonly FeishuApi _api;
    private readonly RecipientResolver _recipients;
    private readonly TimeProvider _time;

    // Custom bots: 5 a second and 100 a minute each. The app's message API: 50 a second. The windows are a quarter
    // (a twelfth for the minute) longer than documented: the limiter frees permits a segment (a sixth of the window)
    // early, and the platform counts over an exact sliding window.
    private readonly SendRateLimiter _botPerSecond = new(5, TimeSpan.FromSeconds(1.25));
    private readonly SendRateLimiter _botPerMinute = new(100, TimeSpan.FromSeconds(65));
    private readonly SendRateLimiter _appPerSecond = new(50, TimeSpan.FromSeconds(1.25));

    public FeishuConnector(string connection, FeishuSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        Connection = connection;
        _settings = settings;
        _time = context.Time;
        _inbound = new FeishuInbound(settings, context.Time);
        _api = new FeishuApi(settings, context.Time, handler);
        _recipients = new RecipientResolver(connection, context.Identities, LookupAsync);
    }

    /// <inheritdoc/>
    public string Connection { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string>? Actions => Supported;

    /// <summary>How many tenant tokens were fetched (for tests and metrics).</summary>
    internal int TokenFetches => _api.TokenFetches;

    /// <inheritdoc/>
    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_inbound.Receive(request));

    /// <inheritdoc/>
    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var payload = ActionPayload.Of(delivery);
        return delivery.Action switch
        {
            ChatActions.SendText => await SendAsync(delivery, payload, "text", cancellationToken).ConfigureAwait(false),
            ChatActions.SendMarkdown => await SendAsync(delivery, payload, "markdown", cancellationToken).ConfigureAwait(false),
            ChatActions.SendCard => await SendAsync(delivery, payload, "card", cancellationToken).ConfigureAwait(false),
            ChatActions.UpdateCard => await UpdateCardAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.CreateTodo => await CreateTodoAsync(delivery, payload, cancellationToken).ConfigureAwait(false),
            _ => throw ActionPayload.Invalid(delivery.Action, $"{_settings.Platform} connections do: {string.Join(", ", Supported)}"),
        };
    }

    private async Task<DeliveryReceipt> SendAsync(Delivery delivery, ActionPayload payload, string kind, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        var text = kind == "card" ? null : payload.Text("text");
        var title = kind == "markdown" ? payload.OptionalText("title") : null;
        var card = kind == "card" ? ApprovalCard.Read(payload) : null;
        if (to.Kind == "bot")
        {
            if (card is not null)
            {
                throw payload.Invalid("a custom group bot cannot receive card callbacks, so its buttons would do nothing; send the card to a user or a chat through the app");
            }

            return await SendBotAsync(payload, to.Value, kind == "text" ? BotText(text!) : BotMarkdown(title, text!), cancellationToken).ConfigureAwait(false);
        }

        var (idType, id) = await TargetAsync(to, cancellationToken).ConfigureAwait(false);
        var (msgType, content) = kind switch
        {
            "text" => ("text", new JsonObject { ["text"] = text }),
            "markdown" => ("post", Post(title, text!)),
            _ => ("interactive", FeishuCard.Render(card!)),
        };
        await _appPerSecond.WaitAsync(_settings.AppId, cancellationToken).ConfigureAwait(false);
        var body = new JsonObject
        {
            ["receive_id"] = id,
            ["msg_type"] = msgType,
            ["content"] = content.ToJsonString(),
            ["uuid"] = ShortKey(delivery.IdempotencyKey, 50),
        };
        var data = await _api.CallAsync(HttpMethod.Post, $"open-apis/im/v1/messages?receive_id_type={idType}", body,
            $"{_settings.Platform} send message", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(200, "message_id " + data.Str("message_id"));
    }

    private async Task<DeliveryReceipt> UpdateCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var message = payload.Section("message");
        var id = message.Text("id");
        var card = ApprovalCard.Read(payload);
        await _appPerSecond.WaitAsync(_settings.AppId, cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["content"] = FeishuCard.Render(card).ToJsonString() };
        await _api.CallAsync(HttpMethod.Patch, "open-apis/im/v1/messages/" + Uri.EscapeDataString(id), body,
            $"{_settings.Platform} update card", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(200, "updated " + id);
    }

    private async Task<DeliveryReceipt> CreateTodoAsync(Delivery delivery, ActionPayload payload, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        if (!to.IsPerson)
        {
            throw payload.Invalid("a todo is for a person: 'to' must be user, email, mobile, employeeId or external");
        }

        var (idType, id) = await TargetAsync(to, cancellationToken).ConfigureAwait(false);
        var description = payload.OptionalText("description");
        if (payload.OptionalText("url") is { } url)
        {
            description = string.IsNullOrEmpty(description) ? url : description + "\n" + url;
        }

        var task = new JsonObject
        {
            ["summary"] = payload.Text("title"),
            ["members"] = new JsonArray(new JsonObject { ["id"] = id, ["type"] = "user", ["role"] = "assignee" }),
            ["client_token"] = ShortKey(delivery.IdempotencyKey, 100),
        };
        if (!string.IsNullOrEmpty(description))
        {
            task["description"] = description;
        }

        if (payload.OptionalText("due") is { } dueText)
        {
            var due = Due(dueText) ?? throw payload.Invalid($"'due' must be an ISO-8601 date or time, or Unix milliseconds; got '{dueText}'");
            task["due"] = new JsonObject
            {
                ["timestamp"] = due.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                ["is_all_day"] = due.AllDay,
            };
        }

        var data = await _api.CallAsync(HttpMethod.Post, $"open-apis/task/v2/tasks?user_id_type={idType}", task,
            $"{_settings.Platform} create task", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(200, "task " + data.Str("task", "guid"));
    }

    private async Task<DeliveryReceipt> SendBotAsync(ActionPayload payload, string name, JsonObject message, CancellationToken cancellationToken)
    {
        if (!_settings.Bots.TryGetValue(name, out var bot))
        {
            throw payload.Invalid(_settings.Bots.Count == 0
                ? $"no bot '{name}': the connection '{Connection}' has no 'bots'"
                : $"no bot '{name}' on '{Connection}'; its bots are: {string.Join(", ", _settings.Bots.Keys)}");
        }

        await _botPerMinute.WaitAsync(name, cancellationToken).ConfigureAwait(false);
        await _botPerSecond.WaitAsync(name, cancellationToken).ConfigureAwait(false);
        if (bot.Secret is { } secret)
        {
            var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            message["timestamp"] = timestamp;
            message["sign"] = FeishuCrypto.BotSign(timestamp, secret);
        }

        var call = $"{_settings.Platform} bot '{name}'";
        using var request = PlatformHttp.Post(bot.Webhook.ToString(), message);
        var response = await PlatformHttp.SendAsync(_api.Http, request, call, cancellationToken).ConfigureAwait(false);
        // Current answers carry {code, msg}; older ones {StatusCode, StatusMessage}.
        var code = response.Number("code") ?? response.Number("StatusCode") ?? (response.StatusCode is >= 200 and < 300 ? 0 : -1);
        if (code != 0)
        {
            throw FeishuErrors.Failure(call, code, response.Text("msg") ?? response.Text("StatusMessage"), response.StatusCode);
        }

        return new DeliveryReceipt(response.StatusCode, $"bot {name}");
    }

    private async ValueTask<(string IdType, string Id)> TargetAsync(Recipient to, CancellationToken cancellationToken) => to.Kind switch
    {
        "chat" => ("chat_id", to.Value),
        "user" => ("open_id", to.Value),
        // Feishu's user_id is the tenant's own id for a person (the employee id / job number the admin assigns).
        IdentityKinds.EmployeeId => ("user_id", to.Value),
        _ => ("open_id", await _recipients.UserIdAsync(to, cancellationToken).ConfigureAwait(false)),
    };

    private async Task<string?> LookupAsync(string kind, string value, CancellationToken cancellationToken)
    {
        var field = kind switch
        {
            IdentityKinds.Email => "emails",
            IdentityKinds.Mobile => "mobiles",
            _ => throw new ConnectorException($"{_settings.Platform} cannot look up a user by {kind}", FailureKind.Rejected),
        };
        var body = new JsonObject { [field] = new JsonArray(value), ["include_resigned"] = false };
        var data = await _api.CallAsync(HttpMethod.Post, "open-apis/contact/v3/users/batch_get_id?user_id_type=open_id", body,
            $"{_settings.Platform} look up user by {kind}", cancellationToken).ConfigureAwait(false);
        if (data.At("user_list") is { ValueKind: JsonValueKind.Array } users)
        {
            foreach (var u in users.EnumerateArray())
            {
                if (u.Str("user_id") is { Length: > 0 } id)
                {
                    return id;
                }
            }
        }

        return null;
    }

    private static JsonObject BotText(string text) => new() { ["msg_type"] = "text", ["content"] = new JsonObject { ["text"] = text } };

    private static JsonObject BotMarkdown(string? title, string text)
    {
        var card = new JsonObject
        {
            ["config"] = new JsonObject { ["wide_screen_mode"] = true },
            ["elements"] = new JsonArray(new JsonObject { ["tag"] = "markdown", ["content"] = text }),
        };
        if (!string.IsNullOrEmpty(title))
        {
            card["header"] = new JsonObject { ["title"] = new JsonObject { ["tag"] = "plain_text", ["content"] = title } };
        }

        return new JsonObject { ["msg_type"] = "interactive", ["card"] = card };
    }

    private static JsonObject Post(string? title, string text) => new()
    {
        ["zh_cn"] = new JsonObject
        {
            ["title"] = title ?? "",
            ["content"] = new JsonArray(new JsonArray(new JsonObject { ["tag"] = "md", ["text"] = text })),
        },
    };

    /// <summary>The idempotency key as is when short enough, else a hash of it (Feishu's uuid is at most 50 characters).</summary>
    internal static string ShortKey(string key, int max) =>
        key.Length <= max ? key : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..Math.Min(max, 64)];

    private static (DateTimeOffset Time, bool AllDay)? Due(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return (DateTimeOffset.FromUnixTimeMilliseconds(ms), false);
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return (new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), true);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? (at, false) : null;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _botPerSecond.DisposeAsync().ConfigureAwait(false);
        await _botPerMinute.DisposeAsync().ConfigureAwait(false);
        await _appPerSecond.DisposeAsync().ConfigureAwait(false);
    }
}
