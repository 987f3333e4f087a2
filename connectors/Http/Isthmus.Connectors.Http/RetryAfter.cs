using System.Net.Http.Headers;

namespace Isthmus.Connectors.Http;

/// <summary>Reads <c>Retry-After</c> in both of its forms: delta-seconds (<c>120</c>) and HTTP-date.</summary>
internal static class RetryAfter
{
    /// <summary>The wait from <paramref name="now"/>; a date in the past means "now" (zero).</summary>
    public static TimeSpan? From(RetryConditionHeaderValue? value, DateTimeOffset now) => value switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Parses a raw header value; <c>null</c> when it is in neither form.</summary>
    public static TimeSpan? Parse(string? text, DateTimeOffset now) =>
        RetryConditionHeaderValue.TryParse(text, out var value) ? From(value, now) : null;
}
