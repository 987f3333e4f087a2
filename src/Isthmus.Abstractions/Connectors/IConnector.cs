namespace Isthmus.Connectors;

/// <summary>
/// Speaks one platform's protocol. One instance per connection. The host owns retries, backoff,
/// dedup, ordering and persistence; a connector verifies, decodes and performs single calls.
/// </summary>
public interface IConnector : IAsyncDisposable
{
    /// <summary>The connection's name, e.g. <c>oa</c>.</summary>
    string Connection { get; }
}

/// <summary>A connector that accepts calls at <c>/hooks/{connection}</c>.</summary>
public interface IInboundConnector : IConnector
{
    /// <summary>
    /// Verifies and decodes one inbound call. Performs no side effects, so the host can append the
    /// events and acknowledge within the platform's deadline. Throw <see cref="InboundRejectedException"/>
    /// to refuse the call; nothing is stored then.
    /// </summary>
    ValueTask<Inbound> ReceiveAsync(InboundRequest request, CancellationToken cancellationToken);
}

/// <summary>A connector that performs deliveries (side effects) on its platform.</summary>
public interface IOutboundConnector : IConnector
{
    /// <summary>
    /// Performs one side effect, idempotent on <see cref="Delivery.IdempotencyKey"/>.
    /// Throw <see cref="ConnectorException"/> to classify a failure; any other exception is transient.
    /// </summary>
    ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken);

    /// <summary>
    /// The <c>do:</c> values this connector performs (e.g. <c>send-text</c>, <c>send-card</c>), so a flow naming
    /// another one is refused when the configuration loads; <c>null</c> accepts any and checks at delivery time.
    /// </summary>
    IReadOnlyCollection<string>? Actions => null;
}
