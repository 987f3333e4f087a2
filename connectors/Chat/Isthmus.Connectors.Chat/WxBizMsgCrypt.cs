using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// The callback crypto WeCom and DingTalk share (from WeChat's "WXBizMsgCrypt"): AES-256-CBC with IV = key[0..16),
/// PKCS#7 padding to 32-byte blocks, plaintext <c>random(16) ‖ len(4, big-endian) ‖ msg ‖ receiveId</c>,
/// and a SHA-1 signature over the sorted token, timestamp, nonce and ciphertext.
/// </summary>
public sealed class WxBizMsgCrypt
{
    private const int Block = 32;
    private readonly byte[] _key;
    private readonly string _token;
    private readonly string _receiveId;

    /// <param name="token">The callback token.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey.</param>
    /// <param name="receiveId">The id the plaintext must end with (corpId, appKey, suiteKey, or empty).</param>
    public WxBizMsgCrypt(string token, string encodingAesKey, string receiveId)
    {
        _token = token;
        _receiveId = receiveId;
        _key = DecodeKey(encodingAesKey) ?? throw new ArgumentException("The EncodingAESKey must be 43 base64 characters.", nameof(encodingAesKey));
    }

    /// <summary>The 32-byte AES key of a 43-character EncodingAESKey, or <c>null</c> when it is not one.</summary>
    public static byte[]? DecodeKey(string encodingAesKey)
    {
        if (encodingAesKey.Length != 43)
        {
            return null;
        }

        // The 43rd character often carries non-zero padding bits; Convert accepts them, strict decoders do not.
        try
        {
            var key = Convert.FromBase64String(encodingAesKey + "=");
            return key.Length == 32 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Lowercase hex SHA-1 of the four strings sorted ordinally and joined.</summary>
    public static string Signature(string token, string timestamp, string nonce, string encrypted)
    {
        string[] parts = [token, timestamp, nonce, encrypted];
        Array.Sort(parts, string.CompareOrdinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
    }

    /// <summary>Whether <paramref name="signature"/> signs <paramref name="encrypted"/> with this token (constant time).</summary>
    public bool Verify(string signature, string timestamp, string nonce, string encrypted) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Signature(_token, timestamp, nonce, encrypted)),
            Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));

    /// <summary>The signature of <paramref name="encrypted"/> with this token.</summary>
    public string Sign(string timestamp, string nonce, string encrypted) => Signature(_token, timestamp, nonce, encrypted);

    /// <summary>
    /// Decrypts a base64 ciphertext and returns the message. Throws <see cref="CryptographicException"/> with a reason
    /// when the ciphertext, the padding, the length or the receive id is wrong.
    /// </summary>
    public byte[] Decrypt(string encrypted)
    {
        byte[] cipher;
        try
        {
            cipher = Convert.FromBase64String(encrypted);
        }
        catch (FormatException)
        {
            throw new CryptographicException("the ciphertext is not base64");
        }

        if (cipher.Length == 0 || cipher.Length % 16 != 0)
        {
            throw new CryptographicException("the ciphertext length is not a multiple of the AES block");
        }

        using var aes = Aes.Create();
        aes.Key = _key;
        // PKCS#7 to 32-byte blocks can pad by up to 32, which .NET's PKCS7 mode (16-byte blocks) refuses: unpad by hand.
        var plain = aes.DecryptCbc(cipher, _key.AsSpan(0, 16), PaddingMode.None);
        var pad = plain[^1];
        if (pad is < 1 or > Block || pad > plain.Length || plain.AsSpan(plain.Length - pad).ContainsAnyExcept(pad))
        {
            throw new CryptographicException("the padding is wrong (wrong key or tampered ciphertext)");
        }

        var content = plain.AsSpan(0, plain.Length - pad);
        if (content.Length < 20)
        {
            throw new CryptographicException("the plaintext is too short");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(content.Slice(16, 4));
        if (length < 0 || 20 + length > content.Length)
        {
            throw new CryptographicException("the message length is wrong (wrong key or tampered ciphertext)");
        }

        var receiveId = Encoding.UTF8.GetString(content[(20 + length)..]);
        if (!string.Equals(receiveId, _receiveId, StringComparison.Ordinal))
        {
            throw new CryptographicException($"the message is for '{receiveId}', not for '{_receiveId}'");
        }

        return content.Slice(20, length).ToArray();
    }

    /// <summary>Encrypts <paramref name="message"/> for a reply; <paramref name="random"/> (16 bytes) is fixed only in tests.</summary>
    public string Encrypt(ReadOnlySpan<byte> message, ReadOnlySpan<byte> random = default)
    {
        var id = Encoding.UTF8.GetBytes(_receiveId);
        var length = 20 + message.Length + id.Length;
        var pad = Block - (length % Block);
        var plain = new byte[length + pad];
        if (random.IsEmpty)
        {
            // The SDKs use 16 alphanumerics; any 16 bytes decrypt the same.
            RandomNumberGenerator.GetItems("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"u8, plain.AsSpan(0, 16));
        }
        else
        {
            random[..16].CopyTo(plain);
        }

        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), message.Length);
        message.CopyTo(plain.AsSpan(20));
        id.CopyTo(plain.AsSpan(20 + message.Length));
        plain.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = _key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, _key.AsSpan(0, 16), PaddingMode.None));
    }

    /// <summary>Encrypts a UTF-8 string.</summary>
    public string Encrypt(string message) => Encrypt(Encoding.UTF8.GetBytes(message));
}
