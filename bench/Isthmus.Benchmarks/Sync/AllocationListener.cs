using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Isthmus.Benchmarks.Sync;

/// <summary>
/// <c>--allocations</c>: which types the engine's process allocates most, from the runtime's allocation ticks (one event about
/// every 100 KB, so a sample weighted by size). The ticks cost a little time, so the option is for finding allocations, not
/// for measuring rates.
/// </summary>
internal sealed class AllocationListener : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: allocation ticks are verbose GC events
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName");
        var amount = names.IndexOf("AllocationAmount64");
        if (type >= 0 && amount >= 0)
        {
            var bytes = Convert.ToInt64(payload[amount], CultureInfo.InvariantCulture);
            _bytes.AddOrUpdate(payload[type]?.ToString() ?? "?", bytes, (_, total) => total + bytes);
        }
    }

    /// <summary>The <paramref name="top"/> types by bytes, as Markdown lines.</summary>
    public IEnumerable<string> Top(int top)
    {
        var total = Math.Max(1, _bytes.Values.Sum());
        return _bytes.OrderByDescending(x => x.Value).Take(top)
            .Select(x => $"| {x.Key.Replace("|", "\\|", StringComparison.Ordinal)} | {x.Value / 1048576.0:N0} MB | {x.Value * 100.0 / total:0.0}% |");
    }
}
