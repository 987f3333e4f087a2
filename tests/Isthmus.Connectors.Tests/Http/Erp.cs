using System.Text;
using Isthmus.Configuration;
using Isthmus.Connectors.Http;
using Isthmus.Connectors.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Http;

/// <summary>Builds <c>http</c> connections to a pretend ERP and deliveries for them.</summary>
internal static class Erp
{
    public const string BaseUrl = "http://127.0.0.1:9100";

    public static IOutboundConnector Connect(HttpMessageHandler handler, string settings = "", TimeProvider? time = null)
    {
        var errors = new List<ConfigError>();
        var map = SettingsYaml.Parse($"baseUrl: {BaseUrl}\n{settings}");
        var connector = HttpConnectorFactory.Create(new ConnectionSettings("erp", "http", map, errors),
            new ConnectorContext(time ?? TimeProvider.System, NullLoggerFactory.Instance), handler);
        Assert.Empty(errors);
        return connector!;
    }

    public static Delivery Delivery(string payload = """{"method":"POST","path":"/orders/42","body":{"total":12.5}}""",
        string action = "request", string idempotencyKey = "idem-42", string? traceParent = null) =>
        new(42, "erp", action, Encoding.UTF8.GetBytes(payload), idempotencyKey, 1, traceParent);

    public static ValueTask<DeliveryReceipt> DeliverAsync(this IOutboundConnector connector, Delivery delivery) =>
        connector.DeliverAsync(delivery, TestContext.Current.CancellationToken);

    public static async Task<ConnectorException> FailAsync(this IOutboundConnector connector, Delivery delivery) =>
        await Assert.ThrowsAsync<ConnectorException>(async () => await connector.DeliverAsync(delivery, TestContext.Current.CancellationToken));
}
