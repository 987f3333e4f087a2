using System.Text.Json.Nodes;
using Isthmus.Deliveries;
using Isthmus.Runtime;
using Isthmus.Expressions;
using Isthmus.Flows;
using Isthmus.Runs;
using Isthmus.Storage;
using Isthmus.Sync;
using Isthmus.Telemetry;

namespace Isthmus.Events;

/// <summary>Runs every matching flow for one event and commits the runs, deliveries and change state together.</summary>
internal sealed class EventProcessor(IStore store, IsthmusMetrics metrics, TimeProvider time)
{
    public async ValueTask<IReadOnlyList<PendingDelivery>> ProcessAsync(StoredEvent ev, ActiveConfiguration active, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var runs = new List<NewRun>();
        var changes = new List<ChangeStateUpdate>();
        var outcome = new List<string>();
        var envelope = Envelope(ev);
        var traceId = TraceId(ev.TraceParent);

        // One lookup for all flows of the event: they see one state of the model, read once.
        var entities = new EntityLookup(store.Sync, active.Config.Model, cancellationToken);
        foreach (var flow in active.FlowsFor(ev))
        {
            using var scope = active.Config.Expressions.CreateScope(new ExpressionInput(envelope, ev.Data, now) { Entities = entities });
            try
            {
                if (flow.Condition is { } condition && !scope.Test(condition))
                {
                    outcome.Add($"{flow.Name}: condition false");
                    continue;
                }

                if (flow.OnlyOnChange is { } filter)
                {
                    var skip = await ApplyChangeFilterAsync(flow, filter, ev, scope, changes, cancellationToken).ConfigureAwait(false);
                    if (skip is not null)
                    {
                        outcome.Add($"{flow.Name}: {skip}");
                        continue;
                    }
                }
            }
            catch (ExpressionException ex)
            {
                runs.Add(new NewRun(flow.Name, ev.Key, RunStatus.Failed, "[]", ex.Message, []));
                outcome.Add($"{flow.Name}: failed");
                continue;
            }

            var prefix = $"{ev.Connection}:{ev.Id}:{flow.Name}:" + (ev.Replays > 0 ? $"r{ev.Replays}:" : "");
            var run = RunExecutor.Execute(flow, ev, scope, prefix, traceId);
            runs.Add(run);
            outcome.Add($"{flow.Name}: run");
        }

        var created = await store.CompleteEventAsync(
            new EventCompletion(ev.Seq, ev.ReceivedAt, outcome.Count == 0 ? "no flow matched" : string.Join("; ", outcome), runs, changes),
            now, cancellationToken).ConfigureAwait(false);
        foreach (var run in runs)
        {
            metrics.Runs.Add(1, new("flow", run.Flow), new("status", run.Status == RunStatus.Failed ? "failed" : "started"));
        }

        return created;
    }

    /// <summary>Returns why the flow is skipped, or <c>null</c> when the watched value moved to an accepted value.</summary>
    private async ValueTask<string?> ApplyChangeFilterAsync(Flow flow, ChangeFilter filter, StoredEvent ev, EvaluationScope scope,
        List<ChangeStateUpdate> changes, CancellationToken cancellationToken)
    {
        var value = scope.Evaluate(filter.Value);
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
        var key = ev.Key ?? "*"; // Without an entity key, all events of the flow share one watched value.
        var (found, previous) = await store.ReadChangeStateAsync(flow.Name, key, cancellationToken).ConfigureAwait(false);
        changes.Add(new ChangeStateUpdate(flow.Name, key, text));
        if (found && string.Equals(previous, text, StringComparison.Ordinal))
        {
            return $"unchanged ({text ?? "null"})";
        }

        if (filter.To is { } to && (text is null || !to.Contains(text)))
        {
            return $"changed to {text ?? "null"}, not one of {string.Join("/", to)}";
        }

        scope.SetPrevious(previous is null ? null : JsonValue.Create(previous));
        return null;
    }

    internal static JsonObject Envelope(StoredEvent ev) => new()
    {
        ["id"] = ev.Id,
        ["seq"] = ev.Seq,
        ["type"] = ev.Type,
        ["source"] = ev.Connection,
        ["connection"] = ev.Connection,
        ["entity"] = ev.Entity,
        ["key"] = ev.Key,
        ["subject"] = ev.Subject,
        ["time"] = (ev.Time ?? ev.ReceivedAt).ToString("O"),
        ["receivedAt"] = ev.ReceivedAt.ToString("O"),
    };

    private static string TraceId(string? traceParent) =>
        traceParent is { Length: >= 55 } ? traceParent.Substring(3, 32) : System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
}
