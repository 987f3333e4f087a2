using System.Buffers;
using System.Net.Http.Headers;
using System.Text;

namespace Isthmus.Connectors.Http;

/// <summary>What is kept of a platform's answer: enough to classify it and to record it on the delivery.</summary>
/// <param name="Body">The whole answer, for record calls only (deliveries keep just the excerpt).</param>
/// <param name="ETag">The answer's <c>ETag</c>, for record calls.</param>
internal sealed record DeliveryResponse(int StatusCode, string? ReasonPhrase, RetryConditionHeaderValue? RetryAfter, Uri? Location, string Excerpt,
    byte[]? Body = null, string? ETag = null)
{
    private const int ExcerptChars = 200;
    private const int ExcerptBytes = 1024;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>408 and 5xx: the platform may well answer differently later. These also trip the circuit breaker.</summary>
    public bool IsTransient => StatusCode is 408 or >= 500;

    public static async Task<DeliveryResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var excerpt = await ReadExcerptAsync(response.Content, cancellationToken);
        return new DeliveryResponse((int)response.StatusCode, response.ReasonPhrase, response.Headers.RetryAfter, response.Headers.Location, excerpt);
    }

    /// <summary>Reads the whole answer (up to <paramref name="maxBytes"/>): a record call needs its JSON, not a hint.</summary>
    public static async Task<DeliveryResponse> ReadWholeAsync(HttpResponseMessage response, long maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new InvalidDataException($"the answer is {response.Content.Headers.ContentLength} bytes; at most {maxBytes} are read");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw new InvalidDataException($"the answer is larger than {maxBytes} bytes, the most that is read");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var body = buffer.ToArray();
        var text = Encoding.UTF8.GetString(body, 0, (int)Math.Min(body.Length, ExcerptBytes));
        var excerpt = text.Length > ExcerptChars ? string.Concat(text.AsSpan(0, ExcerptChars), "…") : text;
        excerpt = new string([.. excerpt.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return new DeliveryResponse((int)response.StatusCode, response.ReasonPhrase, response.Headers.RetryAfter, response.Headers.Location, excerpt,
            body, response.Headers.ETag?.ToString());
    }

    /// <summary>Only the first kilobyte is read: the record needs a hint, not a copy of a possibly huge answer.</summary>
    private static async Task<string> ReadExcerptAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ExcerptBytes);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            var length = 0;
            int read;
            while (length < ExcerptBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, ExcerptBytes - length), cancellationToken)) > 0)
            {
                length += read;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, length);
            var builder = new StringBuilder(Math.Min(text.Length, ExcerptChars + 1));
            foreach (var c in text)
            {
                if (builder.Length == ExcerptChars)
                {
                    builder.Append('…');
                    break;
                }

                builder.Append(char.IsControl(c) ? ' ' : c);
            }

            return builder.ToString().Trim();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
