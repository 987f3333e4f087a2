using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.Webhook;

/// <summary><c>type: token</c>: a shared token in a header, optionally after a prefix such as <c>Bearer </c>.</summary>
internal sealed class TokenAuth(string header, string prefix, string token) : InboundAuth
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public override void Verify(InboundRequest request, DateTimeOffset now)
    {
        var value = RequiredHeader(request, header);
        if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthorized($"header {header} must start with '{prefix}'");
        }

        var presented = value.AsSpan(prefix.Length).Trim();
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(presented.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(presented, buffer);
            // Constant time for equal lengths, so the comparison reveals nothing about how much of the token matched.
            if (!CryptographicOperations.FixedTimeEquals(buffer.AsSpan(0, length), _expected))
            {
                throw Unauthorized($"token in header {header} does not match; check the configured token");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
