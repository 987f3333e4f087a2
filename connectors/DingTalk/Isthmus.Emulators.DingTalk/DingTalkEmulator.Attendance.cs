using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Isthmus.Emulators.DingTalk;

/// <summary>
/// Attendance results (<c>POST /attendance/list</c>) with DingTalk's limits — at most 7 days between workDateFrom and
/// workDateTo, 50 users and 50 results a call — and the directory calls that list a department's users. Results are
/// added and changed through <c>POST /_emulator/attendance</c>; work days are in China time (UTC+8), as DingTalk's are.
/// </summary>
public sealed partial class DingTalkEmulator
{
    /// <summary>The zone DingTalk's work days are in.</summary>
    public static readonly TimeSpan WorkDayOffset = TimeSpan.FromHours(8);

    /// <summary>The errcode for a malformed or out-of-limits argument (DingTalk's generic "不合法的参数").</summary>
    public const int InvalidArgument = 40035;

    private const string DayTime = "yyyy-MM-dd HH:mm:ss";
    private readonly SortedDictionary<long, JsonObject> _attendance = [];
    private long _attendanceIds = 60_000_000_000;

    /// <summary>How many <c>/attendance/list</c> calls were answered (successfully or not).</summary>
    public int AttendanceCalls => _attendanceCalls;

    private int _attendanceCalls;

    /// <summary>Every attendance result, by id.</summary>
    public IReadOnlyList<JsonObject> Attendance
    {
        get
        {
            lock (_attendance)
            {
                return [.. _attendance.Values.Select(r => (JsonObject)r.DeepClone())];
            }
        }
    }

    /// <summary>
    /// Adds a result, or changes one when <c>id</c> names an existing result (only the fields given change). A new result
    /// needs <c>userId</c> and <c>workDate</c> (<c>yyyy-MM-dd</c> or milliseconds); <c>checkType</c> defaults to OnDuty,
    /// <c>timeResult</c> and <c>locationResult</c> to Normal, <c>baseCheckTime</c> to 09:00 (OnDuty) or 18:00 (OffDuty) of the
    /// work day and <c>userCheckTime</c> to <c>baseCheckTime</c>. Times may be milliseconds or ISO-8601 text.
    /// </summary>
    /// <exception cref="ArgumentException">A new result without userId or workDate, or a time that does not parse.</exception>
    public JsonObject PutAttendance(JsonObject change)
    {
        ArgumentNullException.ThrowIfNull(change);
        change = (JsonObject)change.DeepClone();
        foreach (var name in (string[])["workDate", "baseCheckTime", "userCheckTime"])
        {
            if (change[name] is JsonValue value)
            {
                change[name] = Milliseconds(value, name);
            }
        }

        lock (_attendance)
        {
            var id = change["id"] is JsonValue idValue ? (long)Milliseconds(idValue, "id") : (long?)null;
            if (id is { } existingId && _attendance.TryGetValue(existingId, out var existing))
            {
                foreach (var (name, value) in change)
                {
                    existing[name] = value?.DeepClone();
                }

                return (JsonObject)existing.DeepClone();
            }

            var userId = (string?)change["userId"] ?? throw new ArgumentException("A new attendance result needs 'userId'.");
            var workDate = (long?)change["workDate"] ?? throw new ArgumentException("A new attendance result needs 'workDate' (yyyy-MM-dd or milliseconds).");
            var checkType = (string?)change["checkType"] ?? "OnDuty";
            var newId = id ?? Interlocked.Increment(ref _attendanceIds);
            var baseCheck = (long?)change["baseCheckTime"] ?? workDate + (long)TimeSpan.FromHours(checkType == "OffDuty" ? 18 : 9).TotalMilliseconds;
            var record = new JsonObject
            {
                ["id"] = newId,
                ["groupId"] = 1,
                ["planId"] = newId + 1_000_000,
                ["recordId"] = newId + 2_000_000,
                ["workDate"] = workDate,
                ["userId"] = userId,
                ["checkType"] = checkType,
                ["timeResult"] = "Normal",
                ["locationResult"] = "Normal",
                ["baseCheckTime"] = baseCheck,
                ["userCheckTime"] = baseCheck,
                ["sourceType"] = "USER",
            };
            foreach (var (name, value) in change)
            {
                record[name] = value?.DeepClone();
            }

            record["id"] = newId;
            _attendance[newId] = record;
            return (JsonObject)record.DeepClone();
        }
    }

    /// <summary>The milliseconds of 00:00 on <paramref name="day"/> in China time, as DingTalk's <c>workDate</c>.</summary>
    public static long WorkDate(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), WorkDayOffset).ToUnixTimeMilliseconds();

    private void MapAttendance(IEndpointRouteBuilder app)
    {
        app.MapPost("/attendance/list", (HttpContext http, CancellationToken _) => Legacy(http, AttendanceList));
        // The directory as one root department (1) holding every user, with no sub-departments.
        app.MapPost("/topapi/user/listid", (HttpContext http, CancellationToken _) => Legacy(http, body =>
            (long?)body["dept_id"] == 1
                ? Results.Json(new { errcode = 0, errmsg = "ok", result = new { userid_list = State.Users.Keys.Order(StringComparer.Ordinal).ToArray() } })
                : Results.Json(new { errcode = 60003, errmsg = "部门不存在" })));
        app.MapPost("/topapi/v2/department/listsubid", (HttpContext http, CancellationToken _) => Legacy(http, body =>
            (long?)body["dept_id"] == 1
                ? Results.Json(new { errcode = 0, errmsg = "ok", result = new { dept_id_list = Array.Empty<long>() } })
                : Results.Json(new { errcode = 60003, errmsg = "部门不存在" })));
        app.MapGet("/_emulator/attendance", () => Results.Json(Attendance));
        app.MapPost("/_emulator/attendance", async (HttpContext http, CancellationToken ct) =>
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return Results.Problem("The body must be an attendance result or a list of them: " + ex.Message, statusCode: 400);
            }

            try
            {
                return body switch
                {
                    JsonObject one => Results.Json(new JsonArray(PutAttendance(one))),
                    JsonArray many => Results.Json(new JsonArray([.. many.Select(r => r as JsonObject ?? throw new ArgumentException("Each item must be a JSON object.")).Select(PutAttendance)])),
                    _ => Results.Problem("The body must be an attendance result {\"userId\",\"workDate\",…} or a list of them.", statusCode: 400),
                };
            }
            catch (ArgumentException ex)
            {
                return Results.Problem(ex.Message, statusCode: 400);
            }
        });
    }

    private IResult AttendanceList(JsonObject body)
    {
        Interlocked.Increment(ref _attendanceCalls);
        if (!State.TryCountSend("qps:attendance", 20, Scaled(TimeSpan.FromSeconds(1))))
        {
            Interlocked.Increment(ref _limited);
            return Results.Json(new { errcode = 90018, errmsg = "请求的QPS超过限制" });
        }

        if (!Day(body["workDateFrom"], out var from) || !Day(body["workDateTo"], out var to))
        {
            return Invalid("workDateFrom and workDateTo are required, as yyyy-MM-dd HH:mm:ss");
        }

        if (to < from || to.DayNumber - from.DayNumber > 7)
        {
            return Invalid("起始与结束工作日最多相隔7天 (workDateTo must be on or after workDateFrom, at most 7 days later)");
        }

        if (body["userIdList"] is not JsonArray list || list.Count == 0)
        {
            return Invalid("userIdList is required");
        }

        if (list.Count > 50)
        {
            return Invalid("userIdList 最多不能超过50个 (at most 50 users)");
        }

        var offset = Whole(body["offset"]);
        var limit = Whole(body["limit"]);
        if (offset is null or < 0 || limit is null or < 1 or > 50)
        {
            return Invalid("offset must be 0 or more and limit from 1 to 50");
        }

        var users = list.Select(u => (string?)u).ToHashSet(StringComparer.Ordinal);
        List<JsonObject> matching;
        lock (_attendance)
        {
            matching = [.. _attendance.Values
                .Where(r => users.Contains((string?)r["userId"]) && (long?)r["workDate"] is { } w && InRange(w, from, to))
                .OrderBy(r => (long?)r["workDate"]).ThenBy(r => (string?)r["userId"], StringComparer.Ordinal)
                .ThenBy(r => (string?)r["checkType"] == "OnDuty" ? 0 : 1).ThenBy(r => (long?)r["id"])
                .Select(r => (JsonObject)r.DeepClone())];
        }

        var page = matching.Skip(offset.Value).Take(limit.Value).ToList();
        return Results.Json(new JsonObject
        {
            ["errcode"] = 0,
            ["errmsg"] = "ok",
            ["recordresult"] = new JsonArray([.. page]),
            ["hasMore"] = offset.Value + limit.Value < matching.Count,
        });
    }

    private static bool InRange(long workDate, DateOnly from, DateOnly to)
    {
        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(workDate).ToOffset(WorkDayOffset).DateTime);
        return day >= from && day <= to;
    }

    private static IResult Invalid(string message) => Results.Json(new { errcode = InvalidArgument, errmsg = "不合法的参数: " + message });

    private static bool Day(JsonNode? node, out DateOnly day)
    {
        day = default;
        if ((string?)(node as JsonValue) is not { } text
            || !DateTime.TryParseExact(text, DayTime, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return false;
        }

        day = DateOnly.FromDateTime(time);
        return true;
    }

    private static int? Whole(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    private static long Milliseconds(JsonValue value, string name)
    {
        if (value.TryGetValue<long>(out var ms))
        {
            return ms;
        }

        var text = value.TryGetValue<string>(out var s) ? s : value.ToJsonString();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms))
        {
            return ms;
        }

        if (name == "workDate" && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return WorkDate(day);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUnixTimeMilliseconds()
            : throw new ArgumentException($"'{name}' must be milliseconds since 1970{(name == "workDate" ? ", yyyy-MM-dd" : "")} or an ISO-8601 time, not '{text}'.");
    }
}
