using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Feishu/Lark signing and encryption: the event body cipher (AES-256-CBC, key = SHA-256 of the Encrypt Key, IV
/// prefixed, PKCS#7), the <c>X-Lark-Signature</c> of events and callbacks (plain SHA-256, not HMAC), the legacy card
/// callback signature (SHA-1 with the Verification Token) and the custom bot <c>sign</c> (HMAC-SHA256 keyed by
/// <c>timestamp\nsecret</c> over an empty message).
/// </summary>
public static class FeishuCrypto
{
    /// <summary>The AES key of an Encrypt Key: SHA-256 of its UTF-8 bytes.</summary>
    public static byte[] AesKey(string encryptKey) => SHA256.HashData(Encoding.UTF8.GetBytes(encryptKey));

    /// <summary>
    /// Decrypts the <c>encrypt</c> field of a body. Throws <see cref="CryptographicException"/> with a reason when
    /// the text is not base64, too short, or does not unpad (wrong key or tampered ciphertext).
    /// </summary>
    public static byte[] Decrypt(string encryptKey, string encrypted)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(encrypted);
        }
        catch (FormatException)
        {
            throw new CryptographicException("the ciphertext is not base64");
        }

        if (raw.Length < 32 || raw.Length % 16 != 0)
        {
            throw new CryptographicException("the ciphertext is not an IV followed by whole AES blocks");
        }

        using var aes = Aes.Create();
        aes.Key = AesKey(encryptKey);
        try
        {
            return aes.DecryptCbc(raw.AsSpan(16), raw.AsSpan(0, 16), PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            throw new CryptographicException("the padding is wrong (wrong Encrypt Key or tampered ciphertext)");
        }
    }

    /// <summary>Encrypts <paramref name="plain"/> as Feishu does: base64(IV ‖ AES-256-CBC(PKCS#7)). A random IV unless given.</summary>
    public static string Encrypt(string encryptKey, ReadOnlySpan<byte> plain, ReadOnlySpan<byte> iv = default)
    {
        var vector = iv.IsEmpty ? RandomNumberGenerator.GetBytes(16) : iv[..16].ToArray();
        using var aes = Aes.Create();
        aes.Key = AesKey(encryptKey);
        var cipher = aes.EncryptCbc(plain, vector, PaddingMode.PKCS7);
        return Convert.ToBase64String([.. vector, .. cipher]);
    }

    /// <summary><c>X-Lark-Signature</c> of an event or card callback: lowercase hex SHA-256(timestamp + nonce + encryptKey ‖ raw body).</summary>
    public static string EventSignature(string timestamp, string nonce, string encryptKey, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(timestamp + nonce + encryptKey), .. body]));

    /// <summary><c>X-Lark-Signature</c> of a legacy card callback: lowercase hex SHA-1(timestamp + nonce + verificationToken ‖ raw body).</summary>
    public static string LegacyCardSignature(string timestamp, string nonce, string verificationToken, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.UTF8.GetBytes(timestamp + nonce + verificationToken), .. body]));

    /// <summary>The custom bot <c>sign</c>: base64 HMAC-SHA256 with key <c>timestamp + "\n" + secret</c> over an empty message.</summary>
    public static string BotSign(string timestamp, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(timestamp + "\n" + secret), Array.Empty<byte>()));
}
