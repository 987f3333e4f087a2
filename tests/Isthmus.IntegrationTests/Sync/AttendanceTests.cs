using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;

namespace Isthmus.IntegrationTests.Sync;

/// <summary>
/// DingTalk attendance results polled into an OA table (the record emulator): incrementally, with the last days read
/// again on every poll, so a late correction updates the row it made and nothing is written twice.
/// </summary>
public sealed class AttendanceTests
{
    private const string Model = """
        entities:
          Attendance:
            fields:
              resultId: { type: string, required: true }
              userId: { type: string, required: true }
              workDay: { type: string, required: true }
              checkType: string
              timeResult: string
            match: [resultId]
            mappings:
              ding:
                records: attendance
                direction: in
                poll: 1h
                fields: { resultId: id, userId: userId, workDay: workDay, checkType: checkType, timeResult: timeResult }
              oa:
                records: attendance
                direction: out
                fields: { resultId: ding_result_id, userId: user_id, workDay: work_day, checkType: check_type, timeResult: result }
        """;

    [Fact]
    public async Task Results_are_polled_into_the_oa_once_and_a_re_pulled_day_with_a_correction_updates_its_row()
    {
        await using var ding = new DingTalkEmulator(new EmulatorOptions());
        await ding.StartAsync(SyncScenario.Ct);
        var connection = ding.Connection().ToYaml("ding") + "    attendance: { users: [staff002, manager001], lookBack: 2d }\n";
        await using var s = await SyncScenario.StartAsync(new Dictionary<string, string[]> { ["oa"] = ["attendance"] }, Model, extraConnections: connection);
        var poll = s.Engine.Find("Attendance", "ding", null).Mapping!;

        // Work days are China's; "today" is the connection's today, so the results are put on it and the day before.
        var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).DateTime);
        var late = Put(ding, new JsonObject { ["userId"] = "staff002", ["workDate"] = Day(today), ["checkType"] = "OnDuty", ["timeResult"] = "Late" });
        Put(ding, new JsonObject { ["userId"] = "manager001", ["workDate"] = Day(today), ["checkType"] = "OnDuty" });
        Put(ding, new JsonObject { ["userId"] = "staff002", ["workDate"] = Day(today.AddDays(-1)), ["checkType"] = "OffDuty" });

        // The scheduled poll may run at start as well: what counts is what the OA holds and how often it was written.
        await s.Engine.PollAsync(poll, SyncScenario.Ct);
        await s.SettleAsync();
        Assert.Equal(3, s.Records("oa", "attendance").Count);
        Assert.Equal("Late", (string?)s.Find("oa", "ding_result_id", late, "attendance")!["result"]);
        Assert.Equal(3, s.Writes()["oa"]);

        // A correction (补卡) of an earlier result and a new check-out; the next poll reads the last days again.
        ding.PutAttendance(new JsonObject { ["id"] = long.Parse(late, CultureInfo.InvariantCulture), ["timeResult"] = "Normal" });
        var checkout = Put(ding, new JsonObject { ["userId"] = "staff002", ["workDate"] = Day(today), ["checkType"] = "OffDuty" });
        await s.Engine.PollAsync(poll, SyncScenario.Ct);
        await s.SettleAsync();

        var rows = s.Records("oa", "attendance");
        Assert.Equal(4, rows.Count);
        Assert.Equal(4, rows.Select(r => (string?)r["ding_result_id"]).Distinct().Count());
        Assert.Equal("Normal", (string?)s.Find("oa", "ding_result_id", late, "attendance")!["result"]);
        Assert.NotNull(s.Find("oa", "ding_result_id", checkout, "attendance"));
        Assert.Equal(5, s.Writes()["oa"]); // one update and one create: the days read again wrote nothing else

        // Nothing new: a poll re-reads the same days and writes nothing.
        await s.Engine.PollAsync(poll, SyncScenario.Ct);
        await s.SettleAsync();
        Assert.Equal(5, s.Writes()["oa"]);
        Assert.Equal(4, await s.CountAsync("entities.Attendance"));
    }

    private static string Put(DingTalkEmulator ding, JsonObject result) =>
        ((long)ding.PutAttendance(result)["id"]!).ToString(CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
