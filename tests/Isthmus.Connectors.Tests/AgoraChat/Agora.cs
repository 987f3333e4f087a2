using System.Text;
using System.Text.Json;
using Isthmus.Configuration;
using Isthmus.Connectors.AgoraChat;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.AgoraChat;

/// <summary>Builds Agora Chat connectors (from YAML or from a running emulator), deliveries and inbound requests.</summary>
internal static class Agora
{
    public const string Secret = "isthmus-test-secret";

    public const string Yaml = $"""
        baseUrl: https://a1.easemob.com
        orgName: org
        appName: app
        clientId: id
        clientSecret: secret
        callbackSecret: {Secret}
        botUser: bot
        """;

    public static (AgoraChatConnector? Connector, List<ConfigError> Errors) Create(string yaml, TimeProvider? time = null, IIdentityDirectory? identities = null)
    {
        var errors = new List<ConfigError>();
        var settings = new ConnectionSettings("chat", AgoraChatConnectorFactory.KindName, SettingsYaml.Parse(yaml), errors);
        var context = new ConnectorContext(time ?? TimeProvider.System, NullLoggerFactory.Instance) { Identities = identities ?? new InMemoryIdentityDirectory() };
        var connector = new AgoraChatConnectorFactory().Create(settings, context);
        Assert.Equal(errors.Count == 0, connector is not null);
        return ((AgoraChatConnector?)connector, errors);
    }

    public static AgoraChatConnector Valid(string yaml, TimeProvider? time = null, IIdentityDirectory? identities = null)
    {
        var (connector, errors) = Create(yaml, time, identities);
        Assert.Empty(errors);
        return connector!;
    }

    /// <summary>The YAML of the emulator's connection, with <paramref name="replace"/> lines swapped in (key: value).</summary>
    public static string YamlOf(AgoraChatEmulator emulator, params string[] replace)
    {
        var settings = new Dictionary<string, string>(emulator.Connection().Settings);
        foreach (var line in replace)
        {
            var (key, value) = (line[..line.IndexOf(':', StringComparison.Ordinal)], line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            if (value.Length == 0)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        return string.Join("\n", settings.Select(s => $"{s.Key}: {s.Value}"));
    }

    public static async Task<AgoraChatEmulator> StartEmulatorAsync(EmulatorOptions? options = null)
    {
        var emulator = new AgoraChatEmulator(options ?? new EmulatorOptions());
        await emulator.StartAsync();
        return emulator;
    }

    private static long _deliveries;

    public static Delivery Delivery(string action, object payload) =>
        new(Interlocked.Increment(ref _deliveries), "chat", action, JsonSerializer.SerializeToUtf8Bytes(payload), $"key-{_deliveries}", 1, null);

    public static InboundRequest Request(byte[] body) =>
        new("POST", "/hooks/chat", new Dictionary<string, string>(), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), body, "application/json");

    public static InboundRequest Request(string body) => Request(Encoding.UTF8.GetBytes(body));

    /// <summary>A signed message callback, as the platform posts it.</summary>
    public static byte[] Callback(long timestampMs, string msgId, string from, string to, object payload, string chatType = "chat",
        string eventType = "chat", string? groupId = null, string secret = Secret)
    {
        var callId = "org#app_" + msgId;
        var body = new Dictionary<string, object?>
        {
            ["callId"] = callId,
            ["eventType"] = eventType,
            ["timestamp"] = timestampMs,
            ["chat_type"] = chatType,
            ["group_id"] = groupId,
            ["from"] = from,
            ["to"] = to,
            ["msg_id"] = msgId,
            ["payload"] = payload,
            ["securityVersion"] = "1.0.0",
            ["security"] = CallbackSecurity.Sign(callId, secret, timestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        return JsonSerializer.SerializeToUtf8Bytes(body.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
    }

    public static object Text(string text, object? ext = null) => new { ext = ext ?? new { }, bodies = new[] { new { msg = text, type = "txt" } } };

    public static JsonElement Data(EventDraft draft) => JsonDocument.Parse(draft.Data).RootElement;
}
