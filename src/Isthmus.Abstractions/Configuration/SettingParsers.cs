using System.Globalization;

namespace Isthmus.Configuration;

/// <summary>Parsers for the value formats used across the configuration.</summary>
public static class SettingParsers
{
    /// <summary>Parses <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, or an ISO-like <c>00:00:10</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        text = text.Trim();
        (string suffix, double factorMs)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && n >= 0)
            {
                value = TimeSpan.FromMilliseconds(n * factor);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>Parses <c>1024</c>, <c>64KB</c>, <c>1MB</c>, <c>1GB</c> (binary multiples).</summary>
    public static bool TryParseSize(string text, out long value)
    {
        text = text.Trim();
        (string suffix, long factor)[] units = [("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("B", 1)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(text.AsSpan(0, text.Length - suffix.Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                && n >= 0)
            {
                value = n * factor;
                return true;
            }
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;
    }

    /// <summary>Parses <c>100/s</c>, <c>600/m</c>, <c>20/1m</c>, <c>5/10s</c>.</summary>
    public static bool TryParseRate(string text, out (int Permits, TimeSpan Period) rate)
    {
        rate = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(0, slash).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var permits) || permits <= 0)
        {
            return false;
        }

        var period = text[(slash + 1)..].Trim();
        if (period.Length > 0 && char.IsLetter(period[0]))
        {
            period = "1" + period;
        }

        if (!TryParseDuration(period, out var span) || span <= TimeSpan.Zero)
        {
            return false;
        }

        rate = (permits, span);
        return true;
    }
}
