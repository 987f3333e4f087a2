using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.DingTalk;
using Isthmus.Emulators.DingTalk;

namespace Isthmus.Connectors.Tests.DingTalk;

/// <summary>Builds the calls DingTalk makes to <c>/hooks/{connection}</c>.</summary>
internal static class DingTalkRequests
{
    public static readonly DingTalkCallbackCrypto Crypto = new(DingTalkEmulator.CallbackToken, DingTalkEmulator.AesKey, DingTalkEmulator.AppKey);

    public const string Yaml = $"""
        appKey: {DingTalkEmulator.AppKey}
        appSecret: {DingTalkEmulator.AppSecret}
        token: {DingTalkEmulator.CallbackToken}
        aesKey: {DingTalkEmulator.AesKey}

        """;

    public static InboundRequest Push(string body, string signature, string timestamp, string nonce, string signatureName = "msg_signature", string timestampName = "timestamp") =>
        new("POST", "/hooks/oa", new Dictionary<string, string>
        {
            [signatureName] = signature,
            [timestampName] = timestamp,
            ["nonce"] = nonce,
        }, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), Encoding.UTF8.GetBytes(body), "application/json");

    /// <summary>An event-subscription push of <paramref name="plaintext"/>, encrypted and signed at <paramref name="time"/>.</summary>
    public static InboundRequest Sealed(object plaintext, DateTimeOffset time, DingTalkCallbackCrypto? crypto = null)
    {
        var text = plaintext as string ?? JsonSerializer.Serialize(plaintext);
        var timestamp = DingTalkSignatures.Milliseconds(time);
        var sealedMessage = (crypto ?? Crypto).Seal(text, timestamp, "nonce123");
        return Push(JsonSerializer.Serialize(new { encrypt = sealedMessage.Encrypt }), sealedMessage.MsgSignature, timestamp, "nonce123");
    }

    /// <summary>A robot message in HTTP mode, signed with <paramref name="secret"/> at <paramref name="time"/>.</summary>
    public static InboundRequest Robot(JsonObject message, DateTimeOffset time, string secret = DingTalkEmulator.AppSecret)
    {
        var timestamp = DingTalkSignatures.Milliseconds(time);
        return new InboundRequest("POST", "/hooks/oa", new Dictionary<string, string>(),
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["timestamp"] = timestamp, ["sign"] = DingTalkSignatures.RobotSign(secret, timestamp) },
            Encoding.UTF8.GetBytes(message.ToJsonString()), "application/json");
    }
}
