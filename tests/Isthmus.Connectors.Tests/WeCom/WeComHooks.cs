using System.Globalization;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Connectors.WeCom;
using Isthmus.Emulators.WeCom;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.WeCom;

/// <summary>Builds WeCom connections and callbacks for tests.</summary>
internal static class WeComHooks
{
    public static string Yaml(string corpId, string token, string aesKey, string baseUrl = "http://127.0.0.1:9", string extra = "") => $"""
        corpId: {corpId}
        agentId: 1000002
        secret: {WeComEmulator.Secret}
        token: {token}
        encodingAesKey: {aesKey}
        baseUrl: {baseUrl}
        {extra}
        """;

    public static WeComConnector Connector(string corpId, string token, string aesKey, TimeProvider time, string baseUrl = "http://127.0.0.1:9", string extra = "") =>
        Connections.CreateValid<WeComConnector>(new WeComConnectorFactory(), Yaml(corpId, token, aesKey, baseUrl, extra), time);

    /// <summary>A connector with the emulator's keys, its clock at <paramref name="now"/>.</summary>
    public static WeComConnector Emulated(FakeTimeProvider now, string baseUrl = "http://127.0.0.1:9", string extra = "") =>
        Connector(WeComEmulator.CorpId, WeComEmulator.Token, WeComEmulator.EncodingAesKey, now, baseUrl, extra);

    public static FakeTimeProvider At(string unixSeconds) =>
        new(DateTimeOffset.FromUnixTimeSeconds(long.Parse(unixSeconds, CultureInfo.InvariantCulture)));

    public static InboundRequest Post(string body, string signature, string timestamp, string nonce, string contentType = "text/xml") =>
        new("POST", "/hooks/oa", Query(signature, timestamp, nonce), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
            Encoding.UTF8.GetBytes(body), contentType);

    public static InboundRequest Get(string signature, string timestamp, string nonce, string echostr)
    {
        var query = Query(signature, timestamp, nonce);
        query["echostr"] = echostr;
        return new("GET", "/hooks/oa", query, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), ReadOnlyMemory<byte>.Empty, null);
    }

    /// <summary>A callback carrying <paramref name="plaintext"/>, sealed with the emulator's keys as WeCom would.</summary>
    public static InboundRequest Sealed(string plaintext, string timestamp, string nonce = "1372623149", WeComCallbackSealer? sealer = null)
    {
        sealer ??= new WeComCallbackSealer(WeComEmulator.Token, WeComEmulator.EncodingAesKey, WeComEmulator.CorpId);
        var encrypted = sealer.Encrypt(plaintext);
        return Post(sealer.Envelope(encrypted, WeComEmulator.AgentId), sealer.Sign(timestamp, nonce, encrypted), timestamp, nonce);
    }

    public static JsonElement Data(EventDraft draft) => JsonDocument.Parse(draft.Data).RootElement;

    private static Dictionary<string, string> Query(string signature, string timestamp, string nonce) =>
        new(StringComparer.Ordinal) { ["msg_signature"] = signature, ["timestamp"] = timestamp, ["nonce"] = nonce };
}
