using System.Security.Cryptography;
using System.Text;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Connectors.Webhook;

namespace Isthmus.Connectors.Tests.Webhook;

/// <summary>Builds webhook connections and inbound calls for the tests.</summary>
internal static class Hooks
{
    public const string Secret = "It's a Secret to Everybody";

    public const string HmacSettings = """
        auth:
          type: hmac-sha256
          secret: It's a Secret to Everybody
        """;

    public static IInboundConnector Connect(string yaml, TimeProvider? time = null) =>
        Connections.CreateValid<IInboundConnector>(new WebhookConnectorFactory(), yaml, time);

    public static InboundRequest Request(string body, string? contentType = "application/json", params (string Name, string Value)[] headers) =>
        Request(Encoding.UTF8.GetBytes(body), contentType, headers);

    public static InboundRequest Request(byte[] body, string? contentType = "application/json", params (string Name, string Value)[] headers)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map[name] = value;
        }

        return new InboundRequest("POST", "/hooks/oa", new Dictionary<string, string>(), map, body, contentType);
    }

    /// <summary>A call signed GitHub-style: <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>.</summary>
    public static InboundRequest Signed(string body, string secret = Secret) =>
        Request(body, "application/json", ("X-Hub-Signature-256", "sha256=" + Hex(secret, body)));

    public static string Hex(string secret, string signed) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signed)));

    public static string Base64(string secret, string signed) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signed)));

    public static async Task<IReadOnlyList<EventDraft>> ReceiveAsync(this IInboundConnector connector, InboundRequest request) =>
        (await connector.ReceiveAsync(request, TestContext.Current.CancellationToken)).Events;

    public static async Task<InboundRejectedException> RejectAsync(this IInboundConnector connector, InboundRequest request) =>
        await Assert.ThrowsAsync<InboundRejectedException>(async () => await connector.ReceiveAsync(request, TestContext.Current.CancellationToken));
}
