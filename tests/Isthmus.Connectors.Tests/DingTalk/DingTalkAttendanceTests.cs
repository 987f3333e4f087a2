using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.DingTalk;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulation;
using Isthmus.Emulators.DingTalk;
using Isthmus.Records;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.DingTalk;

/// <summary>The record type <c>attendance</c> of a DingTalk connection against the DingTalk emulator over HTTP.</summary>
public sealed class DingTalkAttendanceTests : IAsyncLifetime
{
    // 10:00 in China on 2024-05-10: "today" for the connection.
    private static readonly DateTimeOffset Now = new(2024, 5, 10, 10, 0, 0, TimeSpan.FromHours(8));
    private static readonly DateOnly Today = new(2024, 5, 10);

    private readonly FakeTimeProvider _time = new(Now);
    private DingTalkEmulator _emulator = null!;
    private readonly List<IConnector> _connectors = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // Limits scaled out of the way; the rate-limit test starts its own emulator.
        _emulator = new DingTalkEmulator(new EmulatorOptions { RateLimitScale = 1000 });
        await _emulator.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors)
        {
            await connector.DisposeAsync();
        }

        await _emulator.DisposeAsync();
    }

    [Theory]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task A_pass_pages_over_more_than_50_users_and_50_results_and_reads_each_result_once(int limit)
    {
        var users = Users(120);
        var expected = Seed(users, Today.AddDays(-2), Today);
        var connector = Connect($"attendance: {{ users: [{string.Join(", ", users)}], lookBack: 2d }}");

        var (records, cursor) = await PassAsync(connector, null, limit);

        Assert.Equal(expected.Count, records.Count);
        Assert.Equal(records.Count, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal(expected.Order(), records.Select(r => r.Id).Order());
        Assert.Equal("day=2024-05-10", cursor);
        var one = records.First(r => r.Id == expected[0]);
        Assert.Equal("2024-05-08", (string?)one.Fields["workDay"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((long)one.Fields["userCheckTime"]!), one.UpdatedAt);
        Assert.Equal("OnDuty", (string?)one.Fields["checkType"]);
    }

    [Fact]
    public async Task The_next_pass_rereads_the_look_back_with_the_same_ids_and_picks_up_late_changes()
    {
        var users = Users(3);
        Seed(users, Today.AddDays(-5), Today);
        var connector = Connect("attendance: { users: [u001, u002, u003], lookBack: 2d, since: 2024-05-05 }");
        var (first, cursor) = await PassAsync(connector, null, 50);
        Assert.Equal(3 * 2 * 6, first.Count); // since 05-05 to today
        var firstIds = first.ToDictionary(r => r.Id);

        // A day later: yesterday's late check-in is corrected, and today's first results arrive.
        var late = _emulator.Attendance.First(r => (string?)r["userId"] == "u002" && (long?)r["workDate"] == DingTalkEmulator.WorkDate(Today) && (string?)r["checkType"] == "OnDuty");
        _emulator.PutAttendance(new JsonObject { ["id"] = (long)late["id"]!, ["timeResult"] = "Late", ["userCheckTime"] = (long)late["baseCheckTime"]! + 600_000 });
        var added = _emulator.PutAttendance(new JsonObject { ["userId"] = "u001", ["workDate"] = "2024-05-11" });
        _time.Advance(TimeSpan.FromDays(1));

        var (second, next) = await PassAsync(connector, cursor, 50);

        Assert.Equal("day=2024-05-11", next);
        // 05-08 (10 minus 2) to 05-11: the same ids for the same results, plus the new one; nothing older.
        var secondIds = second.Select(r => r.Id).ToHashSet();
        Assert.Equal(3 * 2 * 3 + 1, secondIds.Count);
        Assert.All(secondIds.Where(id => id != ((long)added["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture)), id => Assert.True(firstIds.ContainsKey(id)));
        Assert.DoesNotContain(second, r => string.CompareOrdinal((string?)r.Fields["workDay"], "2024-05-08") < 0);
        var changed = second.Single(r => r.Id == ((long)late["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Late", (string?)changed.Fields["timeResult"]);
        Assert.Equal("Normal", (string?)firstIds[changed.Id].Fields["timeResult"]);
        Assert.True(changed.UpdatedAt > firstIds[changed.Id].UpdatedAt);
    }

    [Fact]
    public async Task A_token_that_expires_in_the_middle_of_a_pass_is_renewed()
    {
        var users = Users(60);
        Seed(users, Today, Today);
        var connector = Connect($"attendance: {{ users: [{string.Join(", ", users)}], lookBack: 0d }}");

        var first = await connector.ReadChangesAsync("attendance", null, 50, Ct);
        Assert.True(first.More);
        using (var control = new EmulatorClient(_emulator.BaseUrl))
        {
            await control.ExpireTokensAsync(Ct);
        }

        var (rest, cursor) = await PassAsync(connector, first.Cursor, 50);

        Assert.Equal(120, first.Records.Count + rest.Count);
        Assert.Equal("day=2024-05-10", cursor);
        Assert.Equal(2, connector.Api.Tokens.Fetches);
    }

    [Fact]
    public async Task Users_all_reads_everyone_in_the_directory()
    {
        foreach (var user in Users(70))
        {
            _emulator.State.AddUser(new EmulatedUser(user, "Staff " + user));
        }

        var expected = Seed([.. _emulator.State.Users.Keys], Today, Today);
        var connector = Connect("attendance: { users: all, lookBack: 0d }");

        var (records, _) = await PassAsync(connector, null, 500);

        Assert.Equal(72 * 2, expected.Count);
        Assert.Equal(expected.Order(), records.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task A_cursor_cut_from_another_user_list_starts_its_pass_again()
    {
        Seed(Users(60), Today, Today);
        var before = Connect($"attendance: {{ users: [{string.Join(", ", Users(60))}], lookBack: 0d }}");
        var page = await before.ReadChangesAsync("attendance", null, 50, Ct);
        Assert.StartsWith("pass=2024-05-10..2024-05-10;", page.Cursor, StringComparison.Ordinal);

        var after = Connect($"attendance: {{ users: [{string.Join(", ", Users(55))}], lookBack: 0d }}");
        var (records, _) = await PassAsync(after, page.Cursor, 500);

        Assert.Equal(55 * 2, records.Count);
    }

    [Fact]
    public async Task Writes_deletes_gets_and_other_record_types_are_refused_as_rejected()
    {
        var connector = Connect("attendance: { users: [u001] }");
        IRecordConnector records = connector;

        Assert.Equal(["attendance"], records.RecordTypes!);
        var write = await Assert.ThrowsAsync<ConnectorException>(() => records.WriteAsync("attendance", new RecordWrite(null, new JsonObject { ["userId"] = "u001" }, null, "k1"), Ct).AsTask());
        Assert.Equal(FailureKind.Rejected, write.Kind);
        Assert.Contains("attendance is read-only in DingTalk", write.Message, StringComparison.Ordinal);
        var delete = await Assert.ThrowsAsync<ConnectorException>(() => records.DeleteAsync("attendance", "1", null, Ct).AsTask());
        Assert.Contains("read-only", delete.Message, StringComparison.Ordinal);
        var batch = await records.WriteBatchAsync("attendance", [new RecordWrite("1", [], null, "k2")], Ct);
        Assert.Equal(FailureKind.Rejected, Assert.IsType<ConnectorException>(batch[0].Error).Kind);
        Assert.Equal(FailureKind.Rejected, (await Assert.ThrowsAsync<ConnectorException>(() => records.GetAsync("attendance", "1", Ct).AsTask())).Kind);
        var other = await Assert.ThrowsAsync<ConnectorException>(() => records.ReadChangesAsync("leave", null, 10, Ct).AsTask());
        Assert.Contains("'attendance' only", other.Message, StringComparison.Ordinal);
        var cursor = await Assert.ThrowsAsync<ConnectorException>(() => records.ReadChangesAsync("attendance", "yesterday", 10, Ct).AsTask());
        Assert.Equal(FailureKind.Rejected, cursor.Kind);
        Assert.Equal(0, _emulator.AttendanceCalls);
    }

    [Fact]
    public async Task Without_an_attendance_section_the_connection_holds_no_record_types()
    {
        IRecordConnector connector = Connect("");

        Assert.Empty(connector.RecordTypes!);
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => connector.ReadChangesAsync("attendance", null, 10, Ct).AsTask());
        Assert.Contains("no 'attendance:' section", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_emulator_refuses_what_DingTalk_refuses_and_the_connection_classifies_it()
    {
        var connector = Connect("attendance: { users: [u001] }");
        async Task<ConnectorException> Refused(object body) =>
            await Assert.ThrowsAsync<ConnectorException>(() => connector.Api.LegacyAsync("attendance/list", body, "attendance", Ct));
        var users = Users(51);

        var span = await Refused(new { workDateFrom = "2024-05-01 00:00:00", workDateTo = "2024-05-09 00:00:00", userIdList = new[] { "u001" }, offset = 0, limit = 50 });
        var many = await Refused(new { workDateFrom = "2024-05-01 00:00:00", workDateTo = "2024-05-01 00:00:00", userIdList = users, offset = 0, limit = 50 });
        var limit = await Refused(new { workDateFrom = "2024-05-01 00:00:00", workDateTo = "2024-05-01 00:00:00", userIdList = new[] { "u001" }, offset = 0, limit = 51 });

        Assert.All(new[] { span, many, limit }, ex => Assert.Equal(FailureKind.Rejected, ex.Kind));
        Assert.Contains("errcode 40035", span.Message, StringComparison.Ordinal);
        Assert.Contains("7", span.Message, StringComparison.Ordinal);
        Assert.Contains("50", many.Message, StringComparison.Ordinal);

        using var http = new HttpClient();
        var badToken = await http.PostAsJsonAsync(_emulator.BaseUrl + "/attendance/list?access_token=nope",
            new { workDateFrom = "2024-05-01 00:00:00", workDateTo = "2024-05-01 00:00:00", userIdList = new[] { "u001" }, offset = 0, limit = 50 }, Ct);
        var answer = await badToken.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(88, (int)answer!["errcode"]!);
        Assert.Equal("40014", (string?)answer["sub_code"]);
    }

    [Fact]
    public async Task Refused_credentials_are_unauthorized()
    {
        var connector = Connect("attendance: { users: [u001] }", appSecret: "wrong");

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => connector.ReadChangesAsync("attendance", null, 10, Ct).AsTask());

        Assert.Equal(FailureKind.Unauthorized, ex.Kind);
    }

    [Fact]
    public async Task An_unreachable_DingTalk_is_transient()
    {
        var gone = new DingTalkEmulator(new EmulatorOptions());
        await gone.StartAsync(Ct);
        var connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(),
            DingTalkHarness.Settings(gone.BaseUrl) + "attendance: { users: [u001] }\n", _time);
        _connectors.Add(connector);
        await gone.DisposeAsync();

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => connector.ReadChangesAsync("attendance", null, 10, Ct).AsTask());

        Assert.Equal(FailureKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task Going_over_DingTalks_limit_is_rate_limited_with_a_retry_after()
    {
        // The emulator's one-second window stretched long enough that the 21st call in it is surely refused.
        await using var slow = new DingTalkEmulator(new EmulatorOptions { RateLimitScale = 0.001 });
        await slow.StartAsync(Ct);
        var users = Users(21 * 50);
        var connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(),
            DingTalkHarness.Settings(slow.BaseUrl) + $"rateLimit: 1000/s\nattendance: {{ users: [{string.Join(", ", users)}], lookBack: 0d }}\n", _time);
        _connectors.Add(connector);

        var ex = await Assert.ThrowsAsync<ConnectorException>(async () =>
        {
            string? cursor = null;
            do
            {
                cursor = (await connector.ReadChangesAsync("attendance", cursor, 1000, Ct)).Cursor;
            }
            while (cursor!.StartsWith("pass", StringComparison.Ordinal));
        });

        Assert.Equal(FailureKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), ex.RetryAfter);
        Assert.Equal(1, slow.Limited);
    }

    [Fact]
    public void Attendance_settings_are_checked_with_their_place()
    {
        var (_, errors) = Connections.Create<IConnector>(new DingTalkConnectorFactory(), DingTalkRequests.Yaml + """
            attendance:
              users: everyone
              lookBack: 36h
              since: 05/01/2024
              timeZone: Mars/Olympus
              colour: blue
            """);

        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.Contains("attendance.users must be a list of DingTalk userids", StringComparison.Ordinal) && m.Contains("isthmus.yaml:6", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("attendance.lookBack must be whole days", StringComparison.Ordinal) && m.Contains("isthmus.yaml:7", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("attendance.since '05/01/2024' is not a day", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("attendance.timeZone 'Mars/Olympus'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown setting 'attendance.colour'", StringComparison.Ordinal));

        var (_, missing) = Connections.Create<IConnector>(new DingTalkConnectorFactory(), DingTalkRequests.Yaml + "attendance: { lookBack: 1d }\n");
        Assert.Contains(missing, e => e.ToString().Contains("needs 'users'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Work_days_and_today_follow_the_configured_zone()
    {
        // 23:30 on 05-10 in UTC is already 05-11 in China but still 05-10 at UTC-05:00.
        _time.SetUtcNow(new DateTimeOffset(2024, 5, 10, 23, 30, 0, TimeSpan.Zero));
        var zoned = Connect("attendance: { users: [u001], lookBack: 0d, timeZone: '-05:00' }");
        var china = Connect("attendance: { users: [u001], lookBack: 0d }");

        Assert.Equal("day=2024-05-10", (await zoned.ReadChangesAsync("attendance", null, 10, Ct)).Cursor);
        Assert.Equal("day=2024-05-11", (await china.ReadChangesAsync("attendance", null, 10, Ct)).Cursor);
    }

    private DingTalkConnector Connect(string attendance, string appSecret = DingTalkEmulator.AppSecret)
    {
        var yaml = DingTalkHarness.Settings(_emulator.BaseUrl).Replace(DingTalkEmulator.AppSecret, appSecret, StringComparison.Ordinal) + attendance + "\n";
        var connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(), yaml, _time);
        _connectors.Add(connector);
        return connector;
    }

    private static List<string> Users(int count) => [.. Enumerable.Range(1, count).Select(i => $"u{i:D3}")];

    /// <summary>An on-duty and an off-duty result for each user on each day; returns their ids.</summary>
    private List<string> Seed(IReadOnlyList<string> users, DateOnly from, DateOnly to)
    {
        var ids = new List<string>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            foreach (var user in users)
            {
                foreach (var checkType in (string[])["OnDuty", "OffDuty"])
                {
                    var record = _emulator.PutAttendance(new JsonObject { ["userId"] = user, ["workDate"] = DingTalkEmulator.WorkDate(day), ["checkType"] = checkType });
                    ids.Add(((long)record["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        return ids;
    }

    /// <summary>Reads pages until the pass ends; returns every record and the cursor it ends with.</summary>
    private static async Task<(List<SourceRecord> Records, string Cursor)> PassAsync(IRecordConnector connector, string? cursor, int limit)
    {
        var records = new List<SourceRecord>();
        for (var pages = 0; pages < 10_000; pages++)
        {
            var page = await connector.ReadChangesAsync("attendance", cursor, limit, Ct);
            Assert.True(page.Records.Count <= limit);
            records.AddRange(page.Records);
            cursor = page.Cursor;
            if (!page.More)
            {
                return (records, cursor!);
            }
        }

        throw new InvalidOperationException("The pass never ended.");
    }
}
