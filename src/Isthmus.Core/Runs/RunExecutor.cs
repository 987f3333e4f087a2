using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Events;
using Isthmus.Expressions;
using Isthmus.Flows;

namespace Isthmus.Runs;

/// <summary>
/// Executes one flow's steps for one event. Steps are pure until an action, and an action only writes a
/// delivery to the outbox, so a run is computed whole and committed in one transaction with its deliveries.
/// </summary>
internal static class RunExecutor
{
    public static NewRun Execute(Flow flow, StoredEvent ev, EvaluationScope scope, string idempotencyPrefix, string traceId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var deliveries = new List<NewDelivery>();
        string? error = null;
        using (var steps = new Utf8JsonWriter(buffer))
        {
            steps.WriteStartArray();
            try
            {
                ExecuteSteps(flow.Steps, ev, scope, steps, deliveries, idempotencyPrefix, traceId);
            }
            catch (ExpressionException ex)
            {
                error = ex.Message;
                steps.WriteStartObject();
                steps.WriteString("status", "failed");
                steps.WriteString("error", ex.Message);
                steps.WriteEndObject();
            }

            steps.WriteEndArray();
        }

        var status = error is null ? RunStatus.Running : RunStatus.Failed;
        // A failed run sends nothing: half a run's side effects would be worse than none.
        return new NewRun(flow.Name, ev.Key, status, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), error,
            error is null ? deliveries : []);
    }

    private static void ExecuteSteps(IReadOnlyList<Step> stepList, StoredEvent ev, EvaluationScope scope, Utf8JsonWriter steps,
        List<NewDelivery> deliveries, string idempotencyPrefix, string traceId)
    {
        foreach (var step in stepList)
        {
            steps.WriteStartObject();
            steps.WriteString("name", step.Name);
            switch (step)
            {
                case TransformStep transform:
                    steps.WriteString("type", "transform");
                    var value = scope.Render(transform.Value);
                    scope.SetStepOutput(step.Name, value);
                    steps.WriteString("status", "done");
                    steps.WritePropertyName("output");
                    WriteNode(steps, value);
                    steps.WriteEndObject();
                    break;
                case ActionStep action:
                    steps.WriteString("type", "action");
                    var payload = scope.Render(action.Payload);
                    var bytes = payload is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(payload, JsonContext.Default.JsonNode);
                    var key = idempotencyPrefix + step.Name;
                    deliveries.Add(new NewDelivery(action.Connection, action.Action, bytes, key,
                        ev.Key, $"00-{traceId}-{SpanId()}-01"));
                    scope.SetStepOutput(step.Name, new JsonObject { ["idempotencyKey"] = key, ["connection"] = action.Connection });
                    steps.WriteString("status", "queued");
                    steps.WriteString("connection", action.Connection);
                    steps.WriteString("idempotencyKey", key);
                    steps.WriteEndObject();
                    break;
                case BranchStep branch:
                    steps.WriteString("type", "if");
                    var taken = scope.Test(branch.Condition);
                    steps.WriteString("status", "done");
                    steps.WriteString("branch", taken ? "then" : "else");
                    steps.WriteEndObject();
                    ExecuteSteps(taken ? branch.Then : branch.Else, ev, scope, steps, deliveries, idempotencyPrefix, traceId);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown step type {step.GetType().Name}");
            }
        }
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    internal static string SpanId() => System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString();
}
