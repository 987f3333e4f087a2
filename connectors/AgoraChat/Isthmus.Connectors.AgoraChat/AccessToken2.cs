using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.AgoraChat;

/// <summary>The fields of an Agora AccessToken2 ("007") for the chat service.</summary>
/// <param name="Expire">Seconds from <paramref name="IssueTs"/> the token is valid (a duration, not a time).</param>
/// <param name="Privileges">Privilege → expire seconds: 1 = chat user, 2 = chat app.</param>
/// <param name="UserId">The chat user of a user token; empty for an app token.</param>
public sealed record AccessToken2Fields(string AppId, uint IssueTs, uint Expire, uint Salt, IReadOnlyDictionary<ushort, uint> Privileges, string UserId);

/// <summary>
/// Agora AccessToken2 ("007") for the chat service (service type 5), built from the App ID and App Certificate:
/// <c>"007" + Base64(zlib(str(signature) ‖ signing_info))</c>, integers little-endian, strings and maps length-prefixed.
/// The server inflates the token, so any valid zlib stream is accepted; .NET's compressed bytes differ from
/// other implementations', the inflated payload does not.
/// </summary>
public static class AccessToken2
{
    /// <summary>The chat service's type.</summary>
    public const ushort ChatService = 5;

    /// <summary>Privilege of a chat user token.</summary>
    public const ushort UserPrivilege = 1;

    /// <summary>Privilege of a chat app token (what a server uses against the REST API).</summary>
    public const ushort AppPrivilege = 2;

    private const string Version = "007";

    /// <summary>An app token valid for <paramref name="expire"/> seconds from <paramref name="issueTs"/>.</summary>
    public static string AppToken(string appId, string appCertificate, uint issueTs, uint salt, uint expire) =>
        Encode(Payload(appId, appCertificate, issueTs, salt, expire, AppPrivilege, ""));

    /// <summary>A user token for <paramref name="userId"/> (for client logins; the hub uses app tokens).</summary>
    public static string UserToken(string appId, string appCertificate, string userId, uint issueTs, uint salt, uint expire) =>
        Encode(Payload(appId, appCertificate, issueTs, salt, expire, UserPrivilege, userId));

    /// <summary>The uncompressed token body: <c>str(signature) ‖ signing_info</c>.</summary>
    public static byte[] Payload(string appId, string appCertificate, uint issueTs, uint salt, uint expire, ushort privilege, string userId)
    {
        CheckHex32(appId, nameof(appId));
        CheckHex32(appCertificate, nameof(appCertificate));
        var info = SigningInfo(appId, issueTs, salt, expire, new Dictionary<ushort, uint> { [privilege] = expire }, userId);
        var body = new MemoryStream();
        WriteBytes(body, Signature(appCertificate, issueTs, salt, info));
        body.Write(info);
        return body.ToArray();
    }

    /// <summary>Inflates a "007" token.</summary>
    public static byte[] Inflate(string token)
    {
        if (!token.StartsWith(Version, StringComparison.Ordinal))
        {
            throw new FormatException("an AccessToken2 starts with 007");
        }

        using var input = new ZLibStream(new MemoryStream(Convert.FromBase64String(token[Version.Length..])), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>
    /// Reads a "007" chat token and checks its signature with <paramref name="appCertificate"/>;
    /// <c>null</c> when it is not a well-formed chat token signed with that certificate.
    /// </summary>
    public static AccessToken2Fields? Read(string token, string appCertificate)
    {
        try
        {
            var payload = Inflate(token);
            var reader = new Reader(payload);
            var signature = reader.Bytes();
            var infoStart = reader.Position;
            var appId = Encoding.ASCII.GetString(reader.Bytes());
            var (issueTs, expire, salt) = (reader.U32(), reader.U32(), reader.U32());
            var services = reader.U16();
            var privileges = new Dictionary<ushort, uint>();
            var userId = "";
            for (var i = 0; i < services; i++)
            {
                if (reader.U16() != ChatService)
                {
                    return null;
                }

                var count = reader.U16();
                for (var j = 0; j < count; j++)
                {
                    privileges[reader.U16()] = reader.U32();
                }

                userId = Encoding.UTF8.GetString(reader.Bytes());
            }

            if (reader.Position != payload.Length)
            {
                return null;
            }

            var expected = Signature(appCertificate, issueTs, salt, payload.AsSpan(infoStart).ToArray());
            return CryptographicOperations.FixedTimeEquals(expected, signature)
                ? new AccessToken2Fields(appId, issueTs, expire, salt, privileges, userId)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string Encode(byte[] payload)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(payload);
        }

        return Version + Convert.ToBase64String(compressed.ToArray());
    }

    private static byte[] SigningInfo(string appId, uint issueTs, uint salt, uint expire, IReadOnlyDictionary<ushort, uint> privileges, string userId)
    {
        var info = new MemoryStream();
        WriteBytes(info, Encoding.ASCII.GetBytes(appId));
        WriteU32(info, issueTs);
        WriteU32(info, expire);
        WriteU32(info, salt);
        WriteU16(info, 1);
        WriteU16(info, ChatService);
        WriteU16(info, (ushort)privileges.Count);
        foreach (var (key, value) in privileges.OrderBy(p => p.Key))
        {
            WriteU16(info, key);
            WriteU32(info, value);
        }

        WriteBytes(info, Encoding.UTF8.GetBytes(userId));
        return info.ToArray();
    }

    private static byte[] Signature(string appCertificate, uint issueTs, uint salt, byte[] signingInfo)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(number, issueTs);
        var k1 = HMACSHA256.HashData(number, Encoding.ASCII.GetBytes(appCertificate));
        BinaryPrimitives.WriteUInt32LittleEndian(number, salt);
        var k2 = HMACSHA256.HashData(number, k1);
        return HMACSHA256.HashData(k2, signingInfo);
    }

    private static void CheckHex32(string value, string name)
    {
        if (value.Length != 32 || !value.All(Uri.IsHexDigit))
        {
            throw new ArgumentException($"{name} must be 32 hexadecimal characters, as the console shows it", name);
        }
    }

    private static void WriteU16(Stream s, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteU32(Stream s, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteBytes(Stream s, byte[] bytes)
    {
        WriteU16(s, checked((ushort)bytes.Length));
        s.Write(bytes);
    }

    private sealed class Reader(byte[] data)
    {
        public int Position { get; private set; }

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public byte[] Bytes() => Take(U16()).ToArray();

        private ReadOnlySpan<byte> Take(int n)
        {
            if (Position + n > data.Length)
            {
                throw new EndOfStreamException("the token is cut short");
            }

            var span = data.AsSpan(Position, n);
            Position += n;
            return span;
        }
    }
}
