using System.Security.Cryptography;
using System.Text;

namespace Isthmus.IntegrationTests.Support;

public static class Signing
{
    public static string HubSignature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
