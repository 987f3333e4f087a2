using System.Globalization;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Slack;
using Isthmus.Connectors.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Slack;

/// <summary>Builds Slack connections and signed Slack requests for the tests.</summary>
internal static class SlackHooks
{
    public const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";

    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static string Settings(string apiBaseUrl = "https://slack.com/api", string extra = "") => $"""
        botToken: xoxb-1-test
        signingSecret: {Secret}
        apiBaseUrl: {apiBaseUrl}
        {extra}
        """;

    public static (IInboundConnector Connector, FakeTimeProvider Time) Connect(string? yaml = null, DateTimeOffset? now = null)
    {
        var time = new FakeTimeProvider(now ?? Now);
        return (Connections.CreateValid<IInboundConnector>(new SlackConnectorFactory(), yaml ?? Settings(), time), time);
    }

    public static InboundRequest Request(byte[] body, string? contentType, params (string Name, string Value)[] headers)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map[name] = value;
        }

        return new InboundRequest("POST", "/hooks/slack", new Dictionary<string, string>(), map, body, contentType);
    }

    /// <summary>A request signed as Slack signs it, at <paramref name="at"/> (default <see cref="Now"/>).</summary>
    public static InboundRequest Signed(string body, string contentType = "application/json", string secret = Secret, DateTimeOffset? at = null,
        params (string Name, string Value)[] extra)
    {
        var ts = (at ?? Now).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        return Request(bytes, contentType,
            [(SlackSignature.TimestampHeader, ts), (SlackSignature.SignatureHeader, SlackSignature.Compute(secret, ts, bytes)), .. extra]);
    }

    public static string EventCallback(string eventId, object ev) => JsonSerializer.Serialize(new
    {
        token = "x", team_id = "T1", api_app_id = "A1", @event = ev, type = "event_callback", event_id = eventId, event_time = 1_700_000_000,
    });

    public static JsonElement Data(EventDraft draft) => JsonDocument.Parse(draft.Data).RootElement;

    public static async Task<Inbound> ReceiveAsync(this IInboundConnector connector, InboundRequest request) =>
        await connector.ReceiveAsync(request, TestContext.Current.CancellationToken);

    public static async Task<InboundRejectedException> RejectAsync(this IInboundConnector connector, InboundRequest request) =>
        await Assert.ThrowsAsync<InboundRejectedException>(async () => await connector.ReceiveAsync(request, TestContext.Current.CancellationToken));
}
