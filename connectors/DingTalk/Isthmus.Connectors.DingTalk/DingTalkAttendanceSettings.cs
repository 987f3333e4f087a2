using System.Globalization;
using Isthmus.Configuration;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// The <c>attendance:</c> section of a <c>dingtalk</c> connection: whose attendance results the record type
/// <c>attendance</c> reads, how many days back each poll re-reads, and the company's time zone (docs/connectors/dingtalk.md).
/// </summary>
/// <param name="Users">The userids to read, in the order written; <c>null</c> reads everyone in the directory (<c>users: all</c>).</param>
/// <param name="LookBack">Whole days before the cursor's day that every poll reads again (days that may still change).</param>
/// <param name="Since">The first day of a full read (no cursor); <c>null</c>: today minus <paramref name="LookBack"/>.</param>
/// <param name="Zone">The zone DingTalk's work days are in: "today" and each record's <c>workDay</c>.</param>
internal sealed record DingTalkAttendanceSettings(IReadOnlyList<string>? Users, int LookBack, DateOnly? Since, TimeZoneInfo Zone)
{
    /// <summary>DingTalk's own limit on <c>userIdList</c> per call.</summary>
    public const int MaxUsersPerCall = 50;

    /// <summary>The longest look-back: DingTalk keeps results longer, but re-reading more than a month every poll is a mistake.</summary>
    public const int MaxLookBack = 31;

    /// <summary>Reads the section; <c>null</c> when it is absent or any problem was reported.</summary>
    public static DingTalkAttendanceSettings? Read(ConnectionSettings settings)
    {
        var section = settings.Section("attendance");
        if (section is null)
        {
            return null;
        }

        var users = ReadUsers(section, out var usersOk);
        var lookBack = section.Duration("lookBack", TimeSpan.FromDays(2));
        if (lookBack is { } l && (l.Ticks % TimeSpan.TicksPerDay != 0 || l.TotalDays > MaxLookBack))
        {
            section.Error("lookBack", $"must be whole days from 0d to {MaxLookBack}d (attendance is read by day), e.g. 2d");
            lookBack = null;
        }

        DateOnly? since = null;
        if (section.Text("since") is { } sinceText)
        {
            if (DateOnly.TryParseExact(sinceText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                since = day;
            }
            else
            {
                section.Error("since", $"'{sinceText}' is not a day; write it as yyyy-MM-dd, e.g. 2024-01-01");
            }
        }

        var zoneText = section.Text("timeZone", defaultValue: "+08:00")!;
        var zone = ParseZone(zoneText);
        if (zone is null)
        {
            section.Error("timeZone", $"'{zoneText}' is neither an offset such as +08:00 nor a time zone id such as Asia/Shanghai");
        }

        section.RejectUnknownKeys("users");
        return usersOk && lookBack is not null && zone is not null && !settings.HasErrors
            ? new DingTalkAttendanceSettings(users, (int)lookBack.Value.TotalDays, since, zone)
            : null;
    }

    private static List<string>? ReadUsers(ConnectionSettings section, out bool ok)
    {
        ok = false;
        switch (section.Map["users"])
        {
            case null:
                section.Error(null, "needs 'users': a list of DingTalk userids ([u1, u2]) or 'all'");
                return null;
            case SettingScalar { Value: "all" }:
                ok = true;
                return null;
            case SettingList list:
                var users = new List<string>();
                foreach (var item in list.Items)
                {
                    if (item is SettingScalar { Value: { Length: > 0 } id })
                    {
                        if (!users.Contains(id, StringComparer.Ordinal))
                        {
                            users.Add(id);
                        }
                    }
                    else
                    {
                        section.Error("users", "must list DingTalk userids, one value per item");
                        return null;
                    }
                }

                if (users.Count == 0)
                {
                    section.Error("users", "is empty; list DingTalk userids or write 'all'");
                    return null;
                }

                ok = true;
                return users;
            default:
                section.Error("users", "must be a list of DingTalk userids ([u1, u2]) or 'all'");
                return null;
        }
    }

    private static TimeZoneInfo? ParseZone(string text)
    {
        if (text.Length > 1 && text[0] is '+' or '-'
            && TimeSpan.TryParseExact(text[1..], [@"hh\:mm", "hhmm", "hh"], CultureInfo.InvariantCulture, out var offset))
        {
            offset = text.StartsWith('-') ? -offset : offset;
            return TimeZoneInfo.CreateCustomTimeZone("UTC" + text, offset, "UTC" + text, "UTC" + text);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(text);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    /// <summary>The day <paramref name="time"/> falls on in the company's zone.</summary>
    public DateOnly Day(DateTimeOffset time) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, Zone).DateTime);
}
