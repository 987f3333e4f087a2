using Isthmus.Sync;
using Isthmus.Tests.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Core.Tests.Sync;

/// <summary>Scheduled full syncs and reconciliations fire at their cron's time, read in the entity's <c>sync.timeZone</c>.</summary>
public sealed class SyncScheduleTests
{
    private static string Yaml(string zone) => $$"""
        connections:
          crm: { kind: fake }
        entities:
          Customer:
            fields:
              code: { type: string, required: true }
            match: [code]
            sync: { reconcile: "30 2 * * *"{{zone}} }
            mappings:
              crm: { records: customers, fullSync: "0 3 * * *", fields: { code: code } }
        """;

    [Fact]
    public async Task Crons_are_read_in_the_entitys_time_zone()
    {
        // 18:00 UTC is 02:00 the next morning in Shanghai: 02:30 and 03:00 there are 18:30 and 19:00 UTC.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero));
        await using var h = await SyncHarness.StartAsync(Yaml(", timeZone: Asia/Shanghai"), time, "crm");
        h.Engine.Start();

        await AdvanceToAsync(time, new DateTimeOffset(2026, 11, 23, 18, 29, 50, TimeSpan.Zero));
        Assert.Empty(await h.Store.ReconciliationsAsync(10, CancellationToken.None));

        await AdvanceToAsync(time, new DateTimeOffset(2026, 11, 23, 18, 30, 10, TimeSpan.Zero));
        var reconciliation = Assert.Single(await WaitForAsync(() => h.Store.ReconciliationsAsync(10, CancellationToken.None)));
        Assert.Equal("Customer", reconciliation.Entity);
        Assert.DoesNotContain(h.Engine.Jobs.All, j => j.Kind == "full");

        await AdvanceToAsync(time, new DateTimeOffset(2026, 11, 23, 19, 0, 10, TimeSpan.Zero));
        var full = Assert.Single(await WaitForAsync(() => Task.FromResult<IReadOnlyList<SyncJob>>(h.Engine.Jobs.All.Where(j => j.Kind == "full").ToList())));
        Assert.Equal("crm", full.Connection);
    }

    [Fact]
    public async Task Without_a_time_zone_crons_are_utc()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero));
        await using var h = await SyncHarness.StartAsync(Yaml(""), time, "crm");
        h.Engine.Start();

        await AdvanceToAsync(time, new DateTimeOffset(2026, 11, 23, 19, 0, 10, TimeSpan.Zero));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(await h.Store.ReconciliationsAsync(10, CancellationToken.None));
        Assert.Empty(h.Engine.Jobs.All);

        time.Advance(new DateTimeOffset(2026, 11, 24, 2, 29, 50, TimeSpan.Zero) - time.GetUtcNow());
        await AdvanceToAsync(time, new DateTimeOffset(2026, 11, 24, 2, 30, 10, TimeSpan.Zero));
        Assert.Single(await WaitForAsync(() => h.Store.ReconciliationsAsync(10, CancellationToken.None)));
    }

    [Fact]
    public void An_unknown_time_zone_is_a_configuration_error_naming_the_key()
    {
        var error = Assert.Single(Configs.Errors(Yaml(", timeZone: Mars/Base")));

        Assert.Contains("entities.Customer.sync.timeZone: unknown time zone 'Mars/Base'", error, StringComparison.Ordinal);
        Assert.Equal(TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"),
            Configs.Valid(Yaml(", timeZone: Asia/Shanghai")).Model.Entity("Customer")!.Policy.TimeZone);
    }

    /// <summary>Moves the clock in small steps, letting the schedule loop see each tick.</summary>
    private static async Task AdvanceToAsync(FakeTimeProvider time, DateTimeOffset until)
    {
        while (time.GetUtcNow() < until)
        {
            var step = until - time.GetUtcNow();
            time.Advance(step < TimeSpan.FromSeconds(20) ? step : TimeSpan.FromSeconds(20));
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<IReadOnlyList<T>> WaitForAsync<T>(Func<Task<IReadOnlyList<T>>> read)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await read() is { Count: > 0 } found)
            {
                return found;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        return [];
    }
}
