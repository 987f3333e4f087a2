using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// The change feed of the record type <c>attendance</c>: DingTalk's attendance results (<c>POST /attendance/list</c>),
/// read by day. DingTalk has no "changed since" query, and a day's results keep changing (an afternoon check-in, a
/// correction approved days later), so every poll is a pass that reads from the cursor's day minus the look-back to
/// today; a pass is cut into windows of at most 7 days, chunks of 50 users and pages of 50 results, DingTalk's limits.
/// Re-read days return the same record ids, so the sync engine updates instead of duplicating.
/// </summary>
internal sealed class DingTalkAttendance(DingTalkAttendanceSettings settings, DingTalkApi api, TimeProvider time)
{
    /// <summary>The record type's name.</summary>
    public const string RecordType = "attendance";

    /// <summary>DingTalk's limits: days between workDateFrom and workDateTo, results per call.</summary>
    public const int WindowDays = 7;
    public const int MaxPerCall = 50;

    /// <summary>At most this many calls per page, so an empty stretch (days off, many users) still answers soon; <c>More</c> says go on.</summary>
    private const int MaxCallsPerPage = 20;

    private const string Day = "yyyy-MM-dd";

    private (DateOnly From, DateOnly To, IReadOnlyList<string> Users)? _listed;

    public async ValueTask<RecordPage> ReadChangesAsync(string? cursorText, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var today = settings.Day(time.GetUtcNow());
        var (pass, idle) = cursorText is null ? (null, null) : AttendanceCursor.Parse(cursorText);
        var from = pass?.From ?? Min(idle is { } day ? day.AddDays(-settings.LookBack) : settings.Since ?? today.AddDays(-settings.LookBack), today);
        var to = pass?.To ?? today;
        var users = await UsersAsync(from, to, cancellationToken).ConfigureAwait(false);
        var hash = AttendanceCursor.Hash(users);
        // A pass cut from another user list (the config changed, someone joined) starts again: repeats are harmless, gaps are not.
        var at = pass is not null && pass.UsersHash == hash ? pass : new AttendanceCursor(from, to, from, 0, 0, hash);

        var records = new List<SourceRecord>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var calls = 0; users.Count > 0 && records.Count < limit && calls < MaxCallsPerPage; calls++)
        {
            var windowTo = Min(at.At.AddDays(WindowDays - 1), at.To);
            var chunk = users.Skip(at.Chunk * DingTalkAttendanceSettings.MaxUsersPerCall).Take(DingTalkAttendanceSettings.MaxUsersPerCall).ToList();
            var size = Math.Min(MaxPerCall, limit - records.Count);
            var (page, hasMore) = await ListAsync(at.At, windowTo, chunk, at.Offset, size, cancellationToken).ConfigureAwait(false);
            foreach (var record in page)
            {
                // Within a pass the same id can come twice if results shift between calls; the later copy is the newer.
                if (index.TryGetValue(record.Id, out var i))
                {
                    records[i] = record;
                }
                else
                {
                    index[record.Id] = records.Count;
                    records.Add(record);
                }
            }

            if (hasMore)
            {
                at = at with { Offset = at.Offset + size };
                continue;
            }

            at = (at.Chunk + 1) * DingTalkAttendanceSettings.MaxUsersPerCall < users.Count
                ? at with { Chunk = at.Chunk + 1, Offset = 0 }
                : at with { At = windowTo.AddDays(1), Chunk = 0, Offset = 0 };
            if (at.At > at.To)
            {
                break;
            }
        }

        return users.Count == 0 || at.At > at.To
            ? new RecordPage(records, AttendanceCursor.Idle(at.To), More: false)
            : new RecordPage(records, at.ToString(), More: true);
    }

    private async Task<(List<SourceRecord> Records, bool HasMore)> ListAsync(DateOnly from, DateOnly to, List<string> users, int offset, int limit, CancellationToken cancellationToken)
    {
        var response = await api.LegacyAsync("attendance/list", new
        {
            // DingTalk takes whole days in "yyyy-MM-dd HH:mm:ss"; both ends are inclusive.
            workDateFrom = from.ToString(Day, CultureInfo.InvariantCulture) + " 00:00:00",
            workDateTo = to.ToString(Day, CultureInfo.InvariantCulture) + " 00:00:00",
            userIdList = users,
            offset,
            limit,
        }, "dingtalk attendance list", cancellationToken).ConfigureAwait(false);
        var records = new List<SourceRecord>();
        if (response.Body.TryGetProperty("recordresult", out var results) && results.ValueKind == JsonValueKind.Array)
        {
            foreach (var result in results.EnumerateArray())
            {
                records.Add(Record(result));
            }
        }

        var hasMore = response.Body.TryGetProperty("hasMore", out var more) && more.ValueKind == JsonValueKind.True;
        return (records, hasMore);
    }

    /// <summary>One result as DingTalk returned it, plus <c>workDay</c> (yyyy-MM-dd in the company's zone).</summary>
    private SourceRecord Record(JsonElement result)
    {
        var fields = JsonNode.Parse(result.GetRawText()) as JsonObject
            ?? throw new ConnectorException("dingtalk attendance list: a result is not a JSON object", FailureKind.Rejected);
        var id = fields["id"] is JsonValue v ? v.ToJsonString().Trim('"') : null;
        if (string.IsNullOrEmpty(id))
        {
            throw new ConnectorException("dingtalk attendance list: DingTalk answered a result without an 'id'", FailureKind.Rejected);
        }

        if (Milliseconds(fields["workDate"]) is { } workDate)
        {
            fields["workDay"] = settings.Day(workDate).ToString(Day, CultureInfo.InvariantCulture);
        }

        return new SourceRecord(id, fields, UpdatedAt: Milliseconds(fields["userCheckTime"]));
    }

    private static DateTimeOffset? Milliseconds(JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue<long>(out var ms) || (value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms)))
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>The users to read: the configured list, or (<c>users: all</c>) the directory, listed once per pass.</summary>
    private async ValueTask<IReadOnlyList<string>> UsersAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        if (settings.Users is { } users)
        {
            return users;
        }

        if (_listed is { } listed && listed.From == from && listed.To == to)
        {
            return listed.Users;
        }

        var all = await DirectoryAsync(cancellationToken).ConfigureAwait(false);
        _listed = (from, to, all);
        return all;
    }

    /// <summary>Every userid of every department, walking down from the root department (1); sorted, so chunks are stable.</summary>
    private async Task<IReadOnlyList<string>> DirectoryAsync(CancellationToken cancellationToken)
    {
        var users = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<long> { 1 };
        var departments = new Queue<long>([1]);
        while (departments.TryDequeue(out var dept))
        {
            var members = await api.LegacyAsync("topapi/user/listid", new { dept_id = dept }, "dingtalk department users", cancellationToken).ConfigureAwait(false);
            foreach (var id in List(members.Body, "userid_list"))
            {
                if (id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } userId)
                {
                    users.Add(userId);
                }
            }

            var subs = await api.LegacyAsync("topapi/v2/department/listsubid", new { dept_id = dept }, "dingtalk sub-departments", cancellationToken).ConfigureAwait(false);
            foreach (var sub in List(subs.Body, "dept_id_list"))
            {
                if (sub.ValueKind == JsonValueKind.Number && sub.TryGetInt64(out var subId) && seen.Add(subId))
                {
                    departments.Enqueue(subId);
                }
            }
        }

        return [.. users];
    }

    private static IEnumerable<JsonElement> List(JsonElement body, string name) =>
        body.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object
        && result.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}
