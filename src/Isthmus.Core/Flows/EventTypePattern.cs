namespace Isthmus.Flows;

/// <summary>A glob over event types: <c>*</c> matches any run of characters, including dots.</summary>
public sealed class EventTypePattern
{
    private readonly string[] _parts;

    /// <summary>Creates a pattern such as <c>approval.*</c>.</summary>
    public EventTypePattern(string pattern)
    {
        Text = pattern;
        _parts = pattern.Split('*');
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Whether <paramref name="type"/> matches.</summary>
    public bool Matches(string type)
    {
        if (_parts.Length == 1)
        {
            return string.Equals(type, Text, StringComparison.Ordinal);
        }

        var span = type.AsSpan();
        if (!span.StartsWith(_parts[0], StringComparison.Ordinal))
        {
            return false;
        }

        span = span[_parts[0].Length..];
        for (var i = 1; i < _parts.Length - 1; i++)
        {
            var at = span.IndexOf(_parts[i], StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            span = span[(at + _parts[i].Length)..];
        }

        return span.EndsWith(_parts[^1], StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
