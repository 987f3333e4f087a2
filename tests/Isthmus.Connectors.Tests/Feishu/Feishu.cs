using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Connectors.Feishu;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulators.Feishu;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Feishu;

/// <summary>Builds Feishu connections and signed, encrypted callbacks for the tests.</summary>
internal static class Feishu
{
    public const string Token = "vtoken-for-tests";
    public const string Key = "encrypt-key-for-tests";

    public static FeishuConnector Connect(string yaml, TimeProvider? time = null, IIdentityDirectory? identities = null)
    {
        var errors = new List<ConfigError>();
        var settings = new ConnectionSettings("feishu", "feishu", SettingsYaml.Parse(yaml), errors);
        var context = new ConnectorContext(time ?? TimeProvider.System, NullLoggerFactory.Instance) { Identities = identities ?? new InMemoryIdentityDirectory() };
        var connector = FeishuConnectorFactory.Feishu().Create(settings, context, handler: null);
        Assert.Empty(errors);
        return connector!;
    }

    public static FeishuConnector Encrypted(TimeProvider time) => Connect($"""
        appId: cli_test
        appSecret: s
        verificationToken: {Token}
        encryptKey: {Key}
        """, time);

    public static FeishuConnector Plain(TimeProvider? time = null) => Connect($"""
        appId: cli_test
        appSecret: s
        verificationToken: {Token}
        """, time);

    public static FeishuConnector ForEmulator(FeishuEmulator emulator, TimeProvider? time = null, IIdentityDirectory? identities = null) =>
        Connect(string.Join("\n", emulator.Connection().Settings.Select(s => $"{s.Key}: {s.Value}")), time, identities);

    public static InboundRequest Request(byte[] body, params (string Name, string Value)[] headers) =>
        new("POST", "/hooks/feishu", new Dictionary<string, string>(),
            headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase), body, "application/json");

    /// <summary>An encrypted body signed as Feishu signs it, at <paramref name="time"/>.</summary>
    public static InboundRequest Signed(JsonNode plain, DateTimeOffset time, string key = Key, string? signKey = null)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["encrypt"] = FeishuCrypto.Encrypt(key, Encoding.UTF8.GetBytes(plain.ToJsonString())) }.ToJsonString());
        return SignedRaw(body, time, signKey ?? key);
    }

    public static InboundRequest SignedRaw(byte[] body, DateTimeOffset time, string signKey = Key)
    {
        var ts = time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Request(body, ("X-Lark-Request-Timestamp", ts), ("X-Lark-Request-Nonce", "n0nce"),
            ("X-Lark-Signature", FeishuCrypto.EventSignature(ts, "n0nce", signKey, body)));
    }

    /// <summary>A v2 envelope.</summary>
    public static JsonObject V2(string type, JsonObject ev, string id = "ev-1", string token = Token) => new()
    {
        ["schema"] = "2.0",
        ["header"] = new JsonObject
        {
            ["event_id"] = id, ["event_type"] = type, ["create_time"] = "1700000000000", ["token"] = token, ["app_id"] = "cli_test", ["tenant_key"] = "t",
        },
        ["event"] = ev,
    };

    public static async Task<Inbound> ReceiveAsync(this FeishuConnector connector, InboundRequest request) =>
        await connector.ReceiveAsync(request, TestContext.Current.CancellationToken);

    public static async Task<InboundRejectedException> RejectAsync(this FeishuConnector connector, InboundRequest request) =>
        await Assert.ThrowsAsync<InboundRejectedException>(async () => await connector.ReceiveAsync(request, TestContext.Current.CancellationToken));

    public static async Task<DeliveryReceipt> DoAsync(this FeishuConnector connector, string action, object args, string key = "k1") =>
        await connector.DeliverAsync(new Delivery(1, "feishu", action, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(args), key, 1, null),
            TestContext.Current.CancellationToken);

    public static System.Text.Json.JsonElement Data(this EventDraft e) => System.Text.Json.JsonDocument.Parse(e.Data).RootElement;
}
