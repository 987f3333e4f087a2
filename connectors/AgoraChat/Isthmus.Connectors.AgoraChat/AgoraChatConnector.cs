using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>
/// One Agora Chat (Easemob IM) app: post-delivery callbacks in (<c>security</c> checked, stale ones refused),
/// REST messages out as the connection's bot user, sends held to the platform's quotas.
/// </summary>
internal sealed class AgoraChatConnector : IInboundConnector, IOutboundConnector
{
    private static readonly InboundReply Ok = InboundChecks.TextReply("ok");

    private readonly AgoraChatOptions _options;
    private readonly HttpClient _http;
    private readonly AccessTokenCache _tokens;
    private readonly AgoraChatApi _api;
    private readonly CallbackReader _reader;
    private readonly RecipientResolver _recipients;
    private readonly SendRateLimiter _userSends;
    private readonly SendRateLimiter _groupSends;
    private readonly SendRateLimiter _rewrites;

    public AgoraChatConnector(string connection, AgoraChatOptions options, ConnectorContext context, HttpClient? http = null)
    {
        Connection = connection;
        _options = options;
        _http = http ?? PlatformHttp.CreateClient(options.Timeout);
        var source = new AppTokenSource(options, _http, context.Time);
        _tokens = new AccessTokenCache(source.FetchAsync, context.Time);
        _api = new AgoraChatApi(options, _http, _tokens, context.Time);
        _reader = new CallbackReader(options, context.Time);
        _recipients = new RecipientResolver(connection, context.Identities, NoDirectoryLookup);
        _userSends = new SendRateLimiter(options.UserRate.Permits, options.UserRate.Period);
        _groupSends = new SendRateLimiter(options.GroupRate.Permits, options.GroupRate.Period);
        _rewrites = new SendRateLimiter(options.RewriteRate.Permits, options.RewriteRate.Period);
    }

    public string Connection { get; }

    public IReadOnlyCollection<string>? Actions { get; } =
        [ChatActions.SendText, ChatActions.SendMarkdown, ChatActions.SendCard, ChatActions.UpdateCard, ChatActions.CreateTodo];

    /// <summary>How many app tokens were fetched (tests, metrics).</summary>
    internal int TokenFetches => _tokens.Fetches;

    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(new Inbound(_reader.Read(request.Body), Ok));
    }

    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var payload = ActionPayload.Of(delivery);
        return delivery.Action switch
        {
            ChatActions.SendText => await SendAsync(ChatActions.SendText, payload, "txt", new { msg = payload.Text("text") }, null, cancellationToken).ConfigureAwait(false),
            ChatActions.SendMarkdown => await SendAsync(ChatActions.SendMarkdown, payload, "txt", new { msg = Markdown(payload) }, null, cancellationToken).ConfigureAwait(false),
            ChatActions.SendCard => await SendCardAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.UpdateCard => await UpdateCardAsync(payload, cancellationToken).ConfigureAwait(false),
            ChatActions.CreateTodo => throw ActionPayload.Invalid(delivery.Action,
                "Agora Chat has no todo or task API; send a card or a text instead, or create the todo in another system"),
            _ => throw ActionPayload.Invalid(delivery.Action,
                $"agora-chat connections do not perform '{delivery.Action}'; they perform {string.Join(", ", Actions!)}"),
        };
    }

    /// <summary>Markdown goes out as text: Agora Chat renders no Markdown, client apps may.</summary>
    private static string Markdown(ActionPayload payload) =>
        payload.OptionalText("title") is { Length: > 0 } title ? $"**{title}**\n\n{payload.Text("text")}" : payload.Text("text");

    private Task<DeliveryReceipt> SendCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var card = ApprovalCard.Read(payload);
        var body = CardMessage.Body(card);
        var ext = CardMessage.Ext(card);
        return SendAsync(ChatActions.SendCard, payload, "custom", body, ext, cancellationToken);
    }

    private async Task<DeliveryReceipt> SendAsync(string action, ActionPayload payload, string type, object body, object? ext, CancellationToken cancellationToken)
    {
        var recipient = Recipient.Read(payload);
        string path, to;
        SendRateLimiter limiter;
        switch (recipient.Kind)
        {
            case "chat":
                (path, to, limiter) = ("/messages/chatgroups", recipient.Value, _groupSends);
                break;
            case "bot":
                throw payload.Invalid("Agora Chat has no group-bot webhooks; send to a group with to: { chat: <group id> }");
            default:
                (path, to, limiter) = ("/messages/users", await _recipients.UserIdAsync(recipient, cancellationToken).ConfigureAwait(false), _userSends);
                break;
        }

        var message = new Dictionary<string, object>
        {
            ["from"] = _options.BotUser,
            ["to"] = new[] { to },
            ["type"] = type,
            ["body"] = body,
        };
        if (ext is not null)
        {
            message["ext"] = ext;
        }

        CardMessage.CheckSize(action, body, ext ?? new Dictionary<string, object>());
        await limiter.WaitAsync(path, cancellationToken).ConfigureAwait(false);
        var response = await _api.CallAsync(HttpMethod.Post, path, message, $"agora-chat POST {path}", cancellationToken).ConfigureAwait(false);
        var id = MessageId(response, to);
        return new DeliveryReceipt(response.StatusCode, id is null ? "sent" : $"msg_id {id}");
    }

    private async Task<DeliveryReceipt> UpdateCardAsync(ActionPayload payload, CancellationToken cancellationToken)
    {
        var message = payload.Section("message");
        var id = message.Text("id");
        var card = ApprovalCard.Read(payload);
        var body = CardMessage.Body(card);
        var ext = CardMessage.Ext(card);
        CardMessage.CheckSize(ChatActions.UpdateCard, body, ext);
        var rewrite = new Dictionary<string, object>
        {
            ["user"] = _options.BotUser,
            ["new_msg"] = new Dictionary<string, object>(body) { ["type"] = "custom" },
            ["new_ext"] = ext,
            ["is_combine_ext"] = true,
        };
        var path = "/messages/rewrite/" + Uri.EscapeDataString(id);
        await _rewrites.WaitAsync("rewrite", cancellationToken).ConfigureAwait(false);
        var response = await _api.CallAsync(HttpMethod.Put, path, rewrite, "agora-chat PUT /messages/rewrite", cancellationToken).ConfigureAwait(false);
        return new DeliveryReceipt(response.StatusCode, $"rewrote msg_id {id}");
    }

    /// <summary>The id of the message sent to <paramref name="to"/>: the answer's <c>data</c> maps each recipient to its message id.</summary>
    private static string? MessageId(PlatformResponse response, string to) =>
        response.Body.ValueKind == JsonValueKind.Object && response.Body.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            && data.TryGetProperty(to, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private static Task<string?> NoDirectoryLookup(string kind, string value, CancellationToken cancellationToken) =>
        throw new ConnectorException(
            $"Agora Chat has no directory to look users up by {kind}; address them by user name (to: {{ user: <username> }}), " +
            "or map the value to a user name in the identity directory first", FailureKind.Rejected);

    public async ValueTask DisposeAsync()
    {
        _tokens.Dispose();
        _http.Dispose();
        await _userSends.DisposeAsync().ConfigureAwait(false);
        await _groupSends.DisposeAsync().ConfigureAwait(false);
        await _rewrites.DisposeAsync().ConfigureAwait(false);
    }
}
