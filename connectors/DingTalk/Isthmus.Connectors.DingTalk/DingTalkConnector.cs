using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// A DingTalk app (企业内部应用) with its robot: receives event-subscription pushes, card callbacks and robot
/// messages at <c>/hooks/{connection}</c>, performs the chat actions through the v1.0 API, the legacy API
/// (user lookup) and custom group robots, and serves attendance results as read-only records. See docs/connectors/dingtalk.md.
/// </summary>
internal sealed partial class DingTalkConnector : IInboundConnector, IOutboundConnector
{
    private static readonly string[] ActionNames =
        [ChatActions.SendText, ChatActions.SendMarkdown, ChatActions.SendCard, ChatActions.UpdateCard, ChatActions.CreateTodo];

    private readonly DingTalkSettings _settings;
    private readonly DingTalkInbound _inbound;
    private readonly RecipientResolver _recipients;

    public DingTalkConnector(string connection, DingTalkSettings settings, ConnectorContext context, HttpMessageHandler? handler = null)
    {
        Connection = connection;
        _settings = settings;
        Api = new DingTalkApi(settings, context.Time, handler);
        _inbound = new DingTalkInbound(settings, new DingTalkCallbackCrypto(settings.CallbackToken, settings.AesKey, settings.OwnerKey), context.Time);
        _recipients = new RecipientResolver(connection, context.Identities, LookupAsync);
        _attendance = settings.Attendance is { } attendance ? new DingTalkAttendance(attendance, Api, context.Time) : null;
    }

    public string Connection { get; }

    public IReadOnlyCollection<string>? Actions => ActionNames;

    /// <summary>The API client (its token cache, for tests).</summary>
    internal DingTalkApi Api { get; }

    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return ValueTask.FromResult(_inbound.Receive(request));
        }
        catch (InboundRejectedException ex)
        {
            return ValueTask.FromException<Inbound>(ex);
        }
    }

    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var payload = ActionPayload.Of(delivery);
        return delivery.Action switch
        {
            ChatActions.SendText => await SendAsync(Recipient.Read(payload), "sampleText", new JsonObject { ["content"] = payload.Text("text") },
                new JsonObject { ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = payload.Text("text") } }, cancellationToken).ConfigureAwait(false),
            ChatActions.SendMarkdown => await SendMarkdownAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.SendCard => await SendCardAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.UpdateCard => await UpdateCardAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.CreateTodo => await CreateTodoAsync(payload, delivery.IdempotencyKey, cancellationToken).ConfigureAwait(false),
            _ => throw ActionPayload.Invalid(delivery.Action, $"DingTalk connections do: {string.Join(", ", ActionNames)}"),
        };
    }

    private Task<DeliveryReceipt> SendMarkdownAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        var text = payload.Text("text");
        var title = payload.OptionalText("title") ?? DefaultTitle(text);
        var markdown = new JsonObject { ["title"] = title, ["text"] = text };
        var robot = new JsonObject { ["msgtype"] = "markdown", ["markdown"] = new JsonObject { ["title"] = title, ["text"] = text } };
        return SendAsync(to, "sampleMarkdown", markdown, robot, cancellationToken);
    }

    private async Task<DeliveryReceipt> SendAsync(Recipient to, string msgKey, JsonObject msgParam, JsonObject robotMessage, CancellationToken cancellationToken)
    {
        switch (to.Kind)
        {
            case "bot":
                var bot = Bot(to.Value);
                await Api.RobotAsync(bot, robotMessage, cancellationToken).ConfigureAwait(false);
                return new DeliveryReceipt(200, $"robot '{bot.Name}' ok");
            case "chat":
                var group = await Api.OpenApiAsync(HttpMethod.Post, "v1.0/robot/groupMessages/send", new JsonObject
                {
                    ["robotCode"] = _settings.RobotCode,
                    ["openConversationId"] = to.Value,
                    ["msgKey"] = msgKey,
                    ["msgParam"] = msgParam.ToJsonString(),
                }, "dingtalk group message", cancellationToken).ConfigureAwait(false);
                return new DeliveryReceipt(200, "processQueryKey " + Text(group, "processQueryKey"));
            default:
                var userId = await _recipients.UserIdAsync(to, cancellationToken).ConfigureAwait(false);
                var sent = await Api.OpenApiAsync(HttpMethod.Post, "v1.0/robot/oToMessages/batchSend", new JsonObject
                {
                    ["robotCode"] = _settings.RobotCode,
                    ["userIds"] = new JsonArray(userId),
                    ["msgKey"] = msgKey,
                    ["msgParam"] = msgParam.ToJsonString(),
                }, "dingtalk robot message", cancellationToken).ConfigureAwait(false);
                CheckStaffLists(sent, userId);
                return new DeliveryReceipt(200, "processQueryKey " + Text(sent, "processQueryKey"));
        }
    }

    private static void CheckStaffLists(JsonElement answer, string userId)
    {
        if (Contains(answer, "invalidStaffIdList", userId))
        {
            throw new ConnectorException($"dingtalk robot message: DingTalk says user '{userId}' is not valid for this robot (invalidStaffIdList)", FailureKind.Rejected);
        }

        if (Contains(answer, "flowControlledStaffIdList", userId))
        {
            throw new ConnectorException($"dingtalk robot message: user '{userId}' is flow-controlled (flowControlledStaffIdList)", FailureKind.RateLimited, TimeSpan.FromMinutes(1));
        }
    }

    private async Task<DeliveryReceipt> SendCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        var card = ApprovalCard.Read(payload);
        if (to.Kind == "bot")
        {
            throw payload.Invalid("a custom group robot cannot send interactive cards (its actionCard buttons only open URLs); send the card to a user or a chat");
        }

        var template = _settings.CardTemplateId
            ?? throw payload.Invalid("the connection has no 'cardTemplateId'; design the approval card in DingTalk's card builder and set its template id");
        var body = new JsonObject
        {
            ["cardTemplateId"] = template,
            ["outTrackId"] = card.Id,
            ["callbackType"] = "HTTP",
            ["cardData"] = new JsonObject { ["cardParamMap"] = DingTalkCards.ParamMap(card) },
            ["userIdType"] = 1,
        };
        if (_settings.CardCallbackRouteKey is { } route)
        {
            body["callbackRouteKey"] = route;
        }

        if (to.Kind == "chat")
        {
            body["openSpaceId"] = "dtv1.card//IM_GROUP." + to.Value;
            body["imGroupOpenSpaceModel"] = new JsonObject { ["supportForward"] = true };
            body["imGroupOpenDeliverModel"] = new JsonObject { ["robotCode"] = _settings.RobotCode };
        }
        else
        {
            var userId = await _recipients.UserIdAsync(to, cancellationToken).ConfigureAwait(false);
            body["openSpaceId"] = "dtv1.card//IM_ROBOT." + userId;
            body["imRobotOpenSpaceModel"] = new JsonObject { ["supportForward"] = false };
            body["imRobotOpenDeliverModel"] = new JsonObject { ["spaceType"] = "IM_ROBOT", ["robotCode"] = _settings.RobotCode };
        }

        var answer = await Api.OpenApiAsync(HttpMethod.Post, "v1.0/card/instances/createAndDeliver", body, "dingtalk card create", cancellationToken).ConfigureAwait(false);
        if (answer.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object
            && result.TryGetProperty("deliverResults", out var results) && results.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in results.EnumerateArray())
            {
                if (r.TryGetProperty("success", out var ok) && ok.ValueKind == JsonValueKind.False)
                {
                    throw new ConnectorException($"dingtalk card create: delivery to {Text(r, "spaceType")} {Text(r, "spaceId")} failed: {Text(r, "errorMsg")}", FailureKind.Rejected);
                }
            }
        }

        return new DeliveryReceipt(200, "outTrackId " + card.Id);
    }

    private async Task<DeliveryReceipt> UpdateCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var card = ApprovalCard.Read(payload);
        var outTrackId = payload.Optional("message") is { ValueKind: JsonValueKind.Object } ? payload.Section("message").OptionalText("id") ?? card.Id : card.Id;
        await Api.OpenApiAsync(HttpMethod.Put, "v1.0/card/instances", new JsonObject
        {
            ["outTrackId"] = outTrackId,
            ["cardData"] = new JsonObject { ["cardParamMap"] = DingTalkCards.UpdateMap(card) },
            ["cardUpdateOptions"] = new JsonObject { ["updateCardDataByKey"] = true, ["updatePrivateDataByKey"] = false },
            ["userIdType"] = 1,
        }, "dingtalk card update", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(200, "updated " + outTrackId);
    }

    private async Task<DeliveryReceipt> CreateTodoAsync(ActionPayload payload, string idempotencyKey, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        if (!to.IsPerson)
        {
            throw payload.Invalid("a DingTalk todo is for a person; 'to' must be user, email, mobile, employeeId or external");
        }

        var title = payload.Text("title");
        var due = Due(payload);
        var userId = await _recipients.UserIdAsync(to, cancellationToken).ConfigureAwait(false);
        var user = await Api.LegacyAsync("topapi/v2/user/get", new { userid = userId, language = "zh_CN" }, "dingtalk user get", cancellationToken).ConfigureAwait(false);
        var unionId = user.Body.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.Object ? Text(r, "unionid") : null;
        if (string.IsNullOrEmpty(unionId))
        {
            throw new ConnectorException($"dingtalk user get: user '{userId}' has no unionid", FailureKind.Rejected);
        }

        var body = new JsonObject
        {
            // DingTalk keeps the caller's sourceId with the task; the delivery's key makes a retried create recognisable.
            ["sourceId"] = idempotencyKey,
            ["subject"] = title,
            ["executorIds"] = new JsonArray(unionId),
        };
        if (payload.OptionalText("description") is { } description)
        {
            body["description"] = description;
        }

        if (due is { } d)
        {
            body["dueTime"] = d.ToUnixTimeMilliseconds();
        }

        if (payload.OptionalText("url") is { } url)
        {
            body["detailUrl"] = new JsonObject { ["appUrl"] = url, ["pcUrl"] = url };
        }

        var path = $"v1.0/todo/users/{Uri.EscapeDataString(unionId)}/tasks?operatorId={Uri.EscapeDataString(unionId)}";
        var task = await Api.OpenApiAsync(HttpMethod.Post, path, body, "dingtalk todo create", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(200, "task " + Text(task, "id"));
    }

    private static DateTimeOffset? Due(ActionPayload payload)
    {
        var text = payload.OptionalText("due");
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when
            : throw payload.Invalid($"'due' must be an ISO-8601 time or milliseconds since 1970, not '{text}'");
    }

    private async Task<string?> LookupAsync(string kind, string value, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case IdentityKinds.Mobile:
                var answer = await Api.LegacyAsync("topapi/v2/user/getbymobile", new { mobile = value }, "dingtalk user by mobile", cancellationToken,
                    accept: r => r.Number("errcode") == 60121).ConfigureAwait(false);
                return answer.Number("errcode") == 60121 ? null
                    : answer.Body.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object ? Text(result, "userid") : null;
            case IdentityKinds.EmployeeId:
                // A DingTalk userid (staffId) is the company's employee id in DingTalk.
                return value;
            case IdentityKinds.Email:
                throw new ConnectorException(
                    $"DingTalk has no API to find a user by email ('{value}'); address the person by mobile, employeeId or user, " +
                    $"or map the email by hand: PUT /api/v1/identities {{\"connection\":\"{Connection}\",\"kind\":\"email\",\"value\":\"{value}\",\"userId\":\"…\"}}",
                    FailureKind.Rejected);
            default:
                throw new ConnectorException($"DingTalk cannot look up a user by {kind}", FailureKind.Rejected);
        }
    }

    private DingTalkBot Bot(string name) => _settings.Bots.TryGetValue(name, out var bot) ? bot
        : throw new ConnectorException(
            $"connection '{Connection}' has no robot named '{name}'" + (_settings.Bots.Count == 0 ? "; add one under 'bots:'" : $"; it has: {string.Join(", ", _settings.Bots.Keys)}"),
            FailureKind.Rejected);

    private static string DefaultTitle(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        line = line.TrimStart('#', '>', ' ').Replace("**", "", StringComparison.Ordinal).Trim();
        return line.Length == 0 ? "Message" : line.Length > 64 ? line[..64] : line;
    }

    private static bool Contains(JsonElement answer, string list, string userId) =>
        answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(list, out var l) && l.ValueKind == JsonValueKind.Array
        && l.EnumerateArray().Any(u => u.ValueKind == JsonValueKind.String && u.GetString() == userId);

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    public ValueTask DisposeAsync() => Api.DisposeAsync();
}
