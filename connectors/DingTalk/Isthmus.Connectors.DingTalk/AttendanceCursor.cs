using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// Where the attendance feed stands. Between passes it holds only the last day the previous pass reached
/// (<c>day=2024-05-10</c>); the next pass reads from that day minus the look-back to today. Inside a pass it holds the
/// pass's days, the first day of the current window (at most 7 days, DingTalk's limit), the chunk of 50 users, the
/// offset within that query and a hash of the user list the chunks were cut from
/// (<c>pass=2024-05-08..2024-05-10;at=2024-05-08;chunk=1;offset=50;users=1a2b3c4d</c>).
/// </summary>
internal sealed record AttendanceCursor(DateOnly From, DateOnly To, DateOnly At, int Chunk, int Offset, string UsersHash)
{
    private const string DayFormat = "yyyy-MM-dd";

    /// <summary>A cursor between passes: the last day read.</summary>
    public static string Idle(DateOnly day) => "day=" + Day(day);

    /// <summary>The cursor text.</summary>
    public override string ToString() =>
        $"pass={Day(From)}..{Day(To)};at={Day(At)};chunk={Chunk.ToString(CultureInfo.InvariantCulture)};offset={Offset.ToString(CultureInfo.InvariantCulture)};users={UsersHash}";

    /// <summary>Reads a cursor: <c>(null, day)</c> between passes, <c>(cursor, null)</c> inside one.</summary>
    /// <exception cref="ConnectorException">Rejected: not a cursor this feed wrote.</exception>
    public static (AttendanceCursor? Pass, DateOnly? Idle) Parse(string text)
    {
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Invalid(text);
            }

            parts[part[..eq]] = part[(eq + 1)..];
        }

        if (parts.Count == 1 && parts.TryGetValue("day", out var idle))
        {
            return (null, ParseDay(idle, text));
        }

        if (parts.Count != 5 || !parts.TryGetValue("pass", out var pass) || pass.Split("..") is not [var from, var to]
            || !parts.TryGetValue("at", out var at) || !parts.TryGetValue("users", out var users)
            || !int.TryParse(parts.GetValueOrDefault("chunk"), NumberStyles.None, CultureInfo.InvariantCulture, out var chunk)
            || !int.TryParse(parts.GetValueOrDefault("offset"), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw Invalid(text);
        }

        var cursor = new AttendanceCursor(ParseDay(from, text), ParseDay(to, text), ParseDay(at, text), chunk, offset, users);
        return cursor.From <= cursor.At && cursor.At <= cursor.To ? (cursor, null) : throw Invalid(text);
    }

    /// <summary>A short hash of the user list, so a cursor cut from another list (config changed) is noticed.</summary>
    public static string Hash(IReadOnlyList<string> users) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', users))))[..8];

    private static string Day(DateOnly day) => day.ToString(DayFormat, CultureInfo.InvariantCulture);

    private static DateOnly ParseDay(string text, string cursor) =>
        DateOnly.TryParseExact(text, DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : throw Invalid(cursor);

    private static ConnectorException Invalid(string cursor) => new(
        $"'{cursor}' is not a DingTalk attendance cursor (day=yyyy-MM-dd, or pass=…;at=…;chunk=…;offset=…;users=…); reset the cursor to read again", FailureKind.Rejected);
}
