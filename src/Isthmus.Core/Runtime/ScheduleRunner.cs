using System.Text.Json;
using Isthmus.Connectors;
using Microsoft.Extensions.Logging;

namespace Isthmus.Runtime;

/// <summary>
/// Starts scheduled flows. Each occurrence is appended as an event with id <c>&lt;flow&gt;@&lt;time&gt;</c>, so it is
/// durable, shows in the event list, and is never run twice for the same occurrence. Occurrences missed while
/// Isthmus was down are not caught up.
/// </summary>
public sealed partial class ScheduleRunner(IsthmusEngine engine, TimeProvider time, ILogger logger)
{
    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var last = time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = time.GetUtcNow();
            foreach (var flow in engine.Active.Config.Flows)
            {
                if (flow.Trigger.Schedule is not { } cron || !engine.Active.IsEnabled(flow))
                {
                    continue;
                }

                foreach (var occurrence in cron.GetOccurrences(last.UtcDateTime, now.UtcDateTime, flow.Trigger.TimeZone, fromInclusive: false, toInclusive: true))
                {
                    await FireAsync(flow.Name, new DateTimeOffset(occurrence, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
                }
            }

            last = now;
        }
    }

    private async Task FireAsync(string flow, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["flow"] = flow, ["scheduledAt"] = occurrence.ToString("O") });
        var draft = new EventDraft($"{flow}@{occurrence:O}", ScheduleTrigger.TypePrefix + flow, flow, null, null, occurrence, data);
        try
        {
            await engine.AcceptAsync(ScheduleTrigger.Connection, draft, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFireFailed(logger, flow, occurrence, ex);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Schedule of flow {Flow} at {Occurrence} could not be recorded")]
    private static partial void LogFireFailed(ILogger logger, string flow, DateTimeOffset occurrence, Exception exception);
}
