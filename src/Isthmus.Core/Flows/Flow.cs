using Isthmus.Configuration;
using Isthmus.Expressions;

namespace Isthmus.Flows;

/// <summary>
/// When <see cref="Trigger"/> and <see cref="Condition"/>, do <see cref="Steps"/>. Compiled once per
/// configuration load; immutable and shared by all workers.
/// </summary>
public sealed record Flow(
    string Name,
    bool Enabled,
    FlowTrigger Trigger,
    Expression? Condition,
    ChangeFilter? OnlyOnChange,
    IReadOnlyList<Step> Steps,
    SourceLocation Location);

/// <summary>What starts a flow: events from a connection whose type matches a pattern, or a cron schedule.</summary>
/// <param name="Connection">The inbound connection; <c>null</c> for any connection.</param>
/// <param name="EventType">A glob over the event type (<c>approval.*</c>, <c>*</c>); <c>null</c> for a schedule.</param>
/// <param name="Schedule">A cron expression (5 fields, or 6 with seconds); <c>null</c> for an event trigger.</param>
/// <param name="TimeZone">The schedule's time zone (default UTC).</param>
public sealed record FlowTrigger(string? Connection, EventTypePattern? EventType, Cronos.CronExpression? Schedule, TimeZoneInfo TimeZone);

/// <summary>
/// Fires the flow only when <see cref="Value"/> differs from its value on the previous event with the same
/// entity key (kept by the store per flow and key), and, when <see cref="To"/> is set, only when the new
/// value is one of those.
/// </summary>
public sealed record ChangeFilter(Expression Value, IReadOnlyList<string>? To);
