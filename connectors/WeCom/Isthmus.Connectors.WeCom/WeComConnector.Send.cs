using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

internal sealed partial class WeComConnector
{
    private async Task<DeliveryReceipt> SendAsync(ActionPayload payload, string type, JsonObject content, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        switch (to.Kind)
        {
            case "bot":
                var key = Bot(payload, to.Value);
                await _botLimit.WaitAsync(to.Value, cancellationToken);
                var botAnswer = await _api.BotAsync(key, new JsonObject { ["msgtype"] = type, [type] = content }, $"wecom bot '{to.Value}' send", cancellationToken);
                return new DeliveryReceipt(botAnswer.StatusCode, $"bot {to.Value}");
            case "chat":
                // Group chats the app created (appchat): WeCom queues these per chat like per user.
                await _userLimit.WaitAsync("chat:" + to.Value, cancellationToken);
                var chatAnswer = await _api.PostAsync("cgi-bin/appchat/send",
                    new JsonObject { ["chatid"] = to.Value, ["msgtype"] = type, [type] = content }, "wecom appchat send", cancellationToken);
                return new DeliveryReceipt(chatAnswer.StatusCode, $"chat {to.Value}");
            default:
                var user = await _recipients.UserIdAsync(to, cancellationToken);
                return await SendToUserAsync(user, new JsonObject { ["msgtype"] = type, [type] = content }, cancellationToken);
        }
    }

    private async Task<DeliveryReceipt> SendToUserAsync(string user, JsonObject body, CancellationToken cancellationToken)
    {
        body["touser"] = user;
        body["agentid"] = _settings.AgentId;
        await _userLimit.WaitAsync("user:" + user, cancellationToken);
        var answer = await _api.PostAsync("cgi-bin/message/send", body, "wecom message send", cancellationToken);
        // A partly invalid recipient list still answers errcode 0 and names the users it skipped.
        if (answer.Text("invaliduser") is { Length: > 0 } invalid)
        {
            throw new ConnectorException($"wecom message send: WeCom does not know user '{invalid}' (invaliduser)", FailureKind.Rejected, statusCode: answer.StatusCode);
        }

        var detail = $"msgid {answer.Text("msgid")}";
        return new DeliveryReceipt(answer.StatusCode, answer.Text("response_code") is { Length: > 0 } code ? $"{detail}; response_code {code}" : detail);
    }

    private async Task<DeliveryReceipt> SendCardAsync(ActionPayload payload, string idempotencyKey, CancellationToken cancellationToken)
    {
        var to = Recipient.Read(payload);
        var card = ApprovalCard.Read(payload);
        if (!to.IsPerson)
        {
            throw payload.Invalid(to.Kind == "bot"
                ? "WeCom group bots cannot send cards with buttons (their cards only link); send the card to a person"
                : "WeCom sends interactive template cards to people only; give to: {user|email|mobile|employeeId|external}");
        }

        var taskId = WeComTaskId.For(card.Id, idempotencyKey)
            ?? throw payload.Invalid("'card.id' is too long for a WeCom task_id (128 bytes); use a shorter id");
        var user = await _recipients.UserIdAsync(to, cancellationToken);
        var receipt = await SendToUserAsync(user, new JsonObject { ["msgtype"] = "template_card", ["template_card"] = WeComCards.Interactive(card, taskId) }, cancellationToken);
        return receipt with { Detail = $"task_id {taskId}; {receipt.Detail}" };
    }

    private async Task<DeliveryReceipt> UpdateCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var message = payload.Section("message");
        var code = message.OptionalText("token")
            ?? throw payload.Invalid("'message.token' is required: pass card.action's 'message' unchanged (it holds WeCom's one-time ResponseCode)");
        var card = ApprovalCard.Read(payload);
        var answer = await _api.PostAsync("cgi-bin/message/update_template_card", WeComCards.Update(card, _settings.AgentId, code),
            "wecom update_template_card", cancellationToken);
        return new DeliveryReceipt(answer.StatusCode, $"updated {message.OptionalText("id")}");
    }

    private string Bot(ActionPayload payload, string name) => _settings.Bots.TryGetValue(name, out var key) ? key
        : throw payload.Invalid(_settings.Bots.Count == 0
            ? $"no bot '{name}': this connection has no bots; add bots: {{ {name}: <webhook key> }}"
            : $"no bot '{name}'; this connection's bots are: {string.Join(", ", _settings.Bots.Keys.Order(StringComparer.Ordinal))}");

    // email → user/get_userid_by_email; mobile → user/getuserid; an employee id is the WeCom userid itself.
    private async Task<string?> LookupAsync(string kind, string value, CancellationToken cancellationToken)
    {
        var (path, body) = kind switch
        {
            Isthmus.Connectors.IdentityKinds.Email => ("cgi-bin/user/get_userid_by_email", new JsonObject { ["email"] = value, ["email_type"] = 1 }),
            Isthmus.Connectors.IdentityKinds.Mobile => ("cgi-bin/user/getuserid", new JsonObject { ["mobile"] = value }),
            Isthmus.Connectors.IdentityKinds.EmployeeId => (null, null),
            _ => throw new ConnectorException($"wecom cannot look up a user by {kind}", FailureKind.Rejected),
        };
        if (path is null)
        {
            return value;
        }

        // Nobody with that email or mobile: WeCom answers 46004 (or 60111), which the resolver reports by name.
        var answer = await _api.PostAsync(path, body!, $"wecom user lookup by {kind}", cancellationToken,
            WeComErrors.NoSuchUser, WeComErrors.UserIdNotFound);
        return WeComErrors.Code(answer) == 0 && answer.Text("userid") is { Length: > 0 } id ? id : null;
    }
}
