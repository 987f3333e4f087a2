using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// One Slack app installation. In: Events API and interactivity requests, verified with the signing secret.
/// Out: the Web API with the bot token (chat.postMessage, chat.update, conversations.open, users.lookupByEmail)
/// and incoming webhooks for <c>to: {bot: name}</c>. chat.postMessage is held to the per-channel rate.
/// </summary>
internal sealed class SlackConnector : IInboundConnector, IOutboundConnector
{
    private readonly SlackSettings _settings;
    private readonly ConnectorContext _context;
    private readonly HttpClient _http;
    private readonly SendRateLimiter _channels;
    private readonly SendRateLimiter _webhooks = new(1, TimeSpan.FromSeconds(1.2));
    private readonly RecipientResolver _recipients;
    private readonly ConcurrentDictionary<string, string> _directChannels = new(StringComparer.Ordinal);

    public SlackConnector(string connection, SlackSettings settings, ConnectorContext context)
    {
        Connection = connection;
        _settings = settings;
        _context = context;
        _http = PlatformHttp.CreateClient(settings.Timeout);
        // The limiter frees a permit at a segment boundary (a sixth of its window); a window a fifth longer than
        // the rate's period keeps every two sends of a channel at least one period apart.
        _channels = new SendRateLimiter(settings.ChannelRate.Permits, settings.ChannelRate.Period * 6 / 5);
        _recipients = new RecipientResolver(connection, context.Identities, LookupAsync);
    }

    public string Connection { get; }

    public IReadOnlyCollection<string>? Actions { get; } =
        [ChatActions.SendText, ChatActions.SendMarkdown, ChatActions.SendCard, ChatActions.UpdateCard, ChatActions.CreateTodo];

    // ---- inbound -------------------------------------------------------------------------------------------

    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return ValueTask.FromResult(Receive(request));
        }
        catch (InboundRejectedException ex)
        {
            return ValueTask.FromException<Inbound>(ex);
        }
    }

    private Inbound Receive(InboundRequest request)
    {
        var contentType = request.ContentType ?? (request.Headers.TryGetValue("Content-Type", out var header) ? header : null);
        // Slack's certificate probe is unsigned and carries nothing: an empty 200, as Slack's own SDKs answer it.
        if (SlackInbound.IsSslCheck(contentType, request.Body.Span))
        {
            return new Inbound([], SlackInbound.Ack);
        }

        if (!SlackInbound.IsJson(contentType) && !SlackInbound.IsForm(contentType))
        {
            throw new InboundRejectedException(InboundRejection.UnsupportedMediaType,
                $"Slack posts application/json (Events API) or application/x-www-form-urlencoded (interactivity), not '{contentType ?? "(none)"}'.");
        }

        // Verify over the raw bytes before any parsing.
        SlackSignature.Verify(request, _settings.SigningSecret, _context.Time.GetUtcNow());
        return SlackInbound.IsJson(contentType) ? SlackInbound.Envelope(request.Body) : SlackInbound.Interaction(request.Body);
    }

    // ---- outbound ------------------------------------------------------------------------------------------

    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var payload = ActionPayload.Of(delivery);
        switch (delivery.Action)
        {
            case ChatActions.SendText:
            {
                var text = payload.Text("text");
                return await SendAsync(Recipient.Read(payload), new JsonObject { ["text"] = text, ["mrkdwn"] = false }, cancellationToken).ConfigureAwait(false);
            }

            case ChatActions.SendMarkdown:
            {
                var text = payload.Text("text");
                var title = payload.OptionalText("title");
                var body = new JsonObject
                {
                    ["text"] = title is null ? text : $"*{title}*\n{text}",
                    ["blocks"] = SlackBlocks.Markdown(title, text),
                };
                return await SendAsync(Recipient.Read(payload), body, cancellationToken).ConfigureAwait(false);
            }

            case ChatActions.SendCard:
            {
                var to = Recipient.Read(payload);
                var card = ApprovalCard.Read(payload) with { Status = null };
                var body = new JsonObject { ["text"] = SlackBlocks.CardText(card), ["blocks"] = SlackBlocks.Card(card) };
                return await SendAsync(to, body, cancellationToken).ConfigureAwait(false);
            }

            case ChatActions.UpdateCard:
                return await UpdateCardAsync(payload, cancellationToken).ConfigureAwait(false);
            case ChatActions.CreateTodo:
                throw payload.Invalid(
                    "Slack has no todo or task API an app can use for another person: reminders.add takes only a user's own token and can no longer set reminders for others. Send a card or a text instead.");
            default:
                throw payload.Invalid($"Slack connections do: {string.Join(", ", Actions!)}");
        }
    }

    private async Task<DeliveryReceipt> SendAsync(Recipient to, JsonObject body, CancellationToken cancellationToken)
    {
        if (to.Kind == "bot")
        {
            if (!_settings.Bots.TryGetValue(to.Value, out var url))
            {
                throw new ConnectorException(
                    $"no incoming webhook named '{to.Value}' on connection '{Connection}'; configured: {(_settings.Bots.Count == 0 ? "none (add bots: {{ name: https://hooks.slack.com/services/… }})" : string.Join(", ", _settings.Bots.Keys))}",
                    FailureKind.Rejected);
            }

            await _webhooks.WaitAsync("bot:" + to.Value, cancellationToken).ConfigureAwait(false);
            using var request = PlatformHttp.Post(url.ToString(), body);
            var answer = await PlatformHttp.SendAsync(_http, request, $"slack webhook '{to.Value}'", cancellationToken).ConfigureAwait(false);
            SlackErrors.CheckWebhook($"slack webhook '{to.Value}'", answer);
            return new DeliveryReceipt(answer.StatusCode, "webhook " + to.Value);
        }

        var channel = to.Kind == "chat" ? to.Value : await DirectChannelAsync(await _recipients.UserIdAsync(to, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        body["channel"] = channel;
        await _channels.WaitAsync(channel, cancellationToken).ConfigureAwait(false);
        var sent = await CallAsync("chat.postMessage", body, cancellationToken).ConfigureAwait(false);
        return Receipt(sent);
    }

    private async Task<DeliveryReceipt> UpdateCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var message = payload.Section("message");
        var ts = message.OptionalText("id") ?? throw message.Invalid("'id' (the message ts from card.action's message) is required");
        var channel = message.OptionalText("chatId") ?? throw message.Invalid("'chatId' (the channel from card.action's message) is required: Slack updates a message by channel and ts");
        var card = ApprovalCard.Read(payload);
        var body = new JsonObject { ["channel"] = channel, ["ts"] = ts, ["text"] = SlackBlocks.CardText(card), ["blocks"] = SlackBlocks.Card(card) };
        return Receipt(await CallAsync("chat.update", body, cancellationToken).ConfigureAwait(false));
    }

    private static DeliveryReceipt Receipt(JsonElement answer) =>
        new(200, $"channel={Text(answer, "channel")} ts={Text(answer, "ts")}");

    /// <summary>The direct-message channel with <paramref name="userId"/> (conversations.open, remembered).</summary>
    private async Task<string> DirectChannelAsync(string userId, CancellationToken cancellationToken)
    {
        if (_directChannels.TryGetValue(userId, out var known))
        {
            return known;
        }

        var answer = await CallAsync("conversations.open", new JsonObject { ["users"] = userId }, cancellationToken).ConfigureAwait(false);
        var channel = answer.TryGetProperty("channel", out var c) && Text(c, "id") is { } id ? id
            : throw new ConnectorException("slack conversations.open: the answer has no channel.id", FailureKind.Transient);
        _directChannels[userId] = channel;
        return channel;
    }

    /// <summary>users.lookupByEmail; Slack has no lookup by mobile number or employee id.</summary>
    private async Task<string?> LookupAsync(string kind, string value, CancellationToken cancellationToken)
    {
        if (kind != IdentityKinds.Email)
        {
            throw new ConnectorException(
                $"Slack cannot look a user up by {kind}: its API finds users by email only. Use to: {{ email: … }} or {{ user: U… }}, or map this {kind} by hand with PUT /api/v1/identities {{\"connection\":\"{Connection}\",\"kind\":\"{kind}\",\"value\":\"{value}\",\"userId\":\"U…\"}}",
                FailureKind.Rejected);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, Method("users.lookupByEmail") + "?email=" + Uri.EscapeDataString(value));
        var response = await SendAuthorizedAsync(request, "slack users.lookupByEmail", cancellationToken).ConfigureAwait(false);
        if (response.Text("error") == "users_not_found")
        {
            return null;
        }

        var answer = SlackErrors.Check("slack users.lookupByEmail", response);
        return answer.TryGetProperty("user", out var user) ? Text(user, "id") : null;
    }

    /// <summary>A Web API method called with a JSON body.</summary>
    private async Task<JsonElement> CallAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = PlatformHttp.Post(Method(method), body);
        var response = await SendAuthorizedAsync(request, "slack " + method, cancellationToken).ConfigureAwait(false);
        return SlackErrors.Check("slack " + method, response);
    }

    private Task<PlatformResponse> SendAuthorizedAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.BotToken);
        return PlatformHttp.SendAsync(_http, request, call, cancellationToken);
    }

    private string Method(string name) => _settings.ApiBaseUrl.ToString().TrimEnd('/') + "/" + name;

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _channels.DisposeAsync().ConfigureAwait(false);
        await _webhooks.DisposeAsync().ConfigureAwait(false);
    }
}
