using System.Text.Json.Nodes;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// One WeCom connection: answers the callback URL check, opens encrypted callbacks into normalized events, and
/// performs the chat actions through the app API (text, markdown, template cards) and group bots.
/// </summary>
internal sealed partial class WeComConnector : IInboundConnector, IOutboundConnector
{
    private static readonly InboundReply Ack = new(200, "text/plain; charset=utf-8", ReadOnlyMemory<byte>.Empty);
    private readonly WeComSettings _settings;
    private readonly WeComCallback _callback;
    private readonly WeComApi _api;
    private readonly RecipientResolver _recipients;
    private readonly SendRateLimiter _botLimit;
    private readonly SendRateLimiter _userLimit;

    public WeComConnector(string connection, WeComSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        Connection = connection;
        _settings = settings;
        _callback = new WeComCallback(new WxBizMsgCrypt(settings.Token, settings.EncodingAesKey, settings.CorpId), context.Time, settings.Tolerance);
        _api = new WeComApi(settings, context.Time, handler);
        _recipients = new RecipientResolver(connection, context.Identities, LookupAsync);
        _botLimit = new SendRateLimiter(settings.BotRate.Permits, settings.BotRate.Window);
        _userLimit = new SendRateLimiter(settings.UserRate.Permits, settings.UserRate.Window);
    }

    public string Connection { get; }

    public IReadOnlyCollection<string>? Actions { get; } =
        [ChatActions.SendText, ChatActions.SendMarkdown, ChatActions.SendCard, ChatActions.UpdateCard, ChatActions.CreateTodo];

    /// <summary>How many access tokens were fetched (tests and diagnostics).</summary>
    internal int TokenFetches => _api.TokenFetches;

    public ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            // The URL check: answer the decrypted echostr exactly, no quotes or newline.
            return ValueTask.FromResult(new Inbound([], InboundChecks.TextReply(_callback.Echo(request))));
        }

        var message = WeComCallback.Plaintext(_callback.Open(request));
        // An empty 200 acknowledges; WeCom then neither retries nor shows anything to the user.
        return ValueTask.FromResult(new Inbound(WeComEvents.Decode(message), Ack));
    }

    public async ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var payload = ActionPayload.Of(delivery);
        return delivery.Action switch
        {
            ChatActions.SendText => await SendAsync(payload, "text", new JsonObject { ["content"] = payload.Text("text") }, cancellationToken),
            ChatActions.SendMarkdown => await SendAsync(payload, "markdown", new JsonObject { ["content"] = Markdown(payload) }, cancellationToken),
            ChatActions.SendCard => await SendCardAsync(payload, delivery.IdempotencyKey, cancellationToken),
            ChatActions.UpdateCard => await UpdateCardAsync(payload, cancellationToken),
            ChatActions.CreateTodo => throw payload.Invalid(
                "WeCom has no todo API for apps; send a card (send-card) or a message (send-text) to the person instead"),
            _ => throw payload.Invalid($"'{delivery.Action}' is not an action of a wecom connection; use one of: {string.Join(", ", Actions!)}"),
        };
    }

    private static string Markdown(ActionPayload payload) =>
        payload.OptionalText("title") is { Length: > 0 } title ? $"**{title}**\n{payload.Text("text")}" : payload.Text("text");

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _botLimit.DisposeAsync();
        await _userLimit.DisposeAsync();
    }
}
