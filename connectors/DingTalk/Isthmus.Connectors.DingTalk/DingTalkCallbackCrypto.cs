using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>The acknowledgement DingTalk expects for an event push: the word <c>success</c>, encrypted and signed.</summary>
public sealed record DingTalkAck(
    [property: JsonPropertyName("msg_signature")] string MsgSignature,
    [property: JsonPropertyName("timeStamp")] string TimeStamp,
    [property: JsonPropertyName("nonce")] string Nonce,
    [property: JsonPropertyName("encrypt")] string Encrypt);

/// <summary>
/// DingTalk's event-subscription crypto ("DingTalkEncryptor"): the shared WeCom/DingTalk construction with the
/// app's <c>token</c>, <c>aes_key</c> and owner key (the appKey for an in-house app, the corpId or suiteKey otherwise).
/// </summary>
public sealed class DingTalkCallbackCrypto(string token, string aesKey, string ownerKey)
{
    private const string NonceAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>The shared primitive.</summary>
    public WxBizMsgCrypt Crypt { get; } = new(token, aesKey, ownerKey);

    /// <summary>Signs a ciphertext (SHA-1 over the sorted token, timestamp, nonce and ciphertext).</summary>
    public string Sign(string timestamp, string nonce, string encrypt) => Crypt.Sign(timestamp, nonce, encrypt);

    /// <summary>Encrypts and signs <paramref name="plaintext"/> as DingTalk does for a push and for its acknowledgement.</summary>
    /// <param name="random">16 bytes fixed only in tests; random otherwise.</param>
    public DingTalkAck Seal(string plaintext, string timestamp, string nonce, ReadOnlySpan<byte> random = default)
    {
        var encrypt = Crypt.Encrypt(Encoding.UTF8.GetBytes(plaintext), random);
        return new DingTalkAck(Sign(timestamp, nonce, encrypt), timestamp, nonce, encrypt);
    }

    /// <summary>The acknowledgement: <c>success</c> encrypted, signed with <paramref name="timestamp"/> and a nonce.</summary>
    public DingTalkAck Success(string timestamp, string? nonce = null, ReadOnlySpan<byte> random = default) =>
        Seal("success", timestamp, nonce ?? NewNonce(), random);

    /// <summary>An 8-character alphanumeric nonce, as DingTalk's samples use.</summary>
    public static string NewNonce() => RandomNumberGenerator.GetString(NonceAlphabet, 8);
}
