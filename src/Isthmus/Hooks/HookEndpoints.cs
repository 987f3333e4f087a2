using System.Diagnostics;
using Isthmus.Connectors;
using Isthmus.Hosting;

namespace Isthmus.Hooks;

/// <summary><c>/hooks/{connection}</c>: verify, decode, append durably, then acknowledge.</summary>
internal static class HookEndpoints
{
    public static void MapHooks(this WebApplication app) =>
        app.MapMethods("/hooks/{connection}", ["POST", "GET"], ReceiveAsync).ExcludeFromDescription();

    private static async Task<IResult> ReceiveAsync(string connection, HttpContext http, HostState state)
    {
        var metrics = state.Metrics;
        metrics.EventsReceived.Add(1, new KeyValuePair<string, object?>("connection", connection));
        if (!state.Ready)
        {
            return Problem(503, "not_ready", "Isthmus is starting; try again in a moment.");
        }

        var engine = state.Engine;
        var connector = engine.Active.Connectors.Get<IInboundConnector>(connection);
        if (connector is null)
        {
            Reject(state, connection, "unknown_connection");
            var inbound = engine.Active.Connectors.All.Where(c => c.Value is IInboundConnector).Select(c => c.Key).Order();
            return Problem(404, "unknown_connection", $"No inbound connection named '{connection}'. Inbound connections: {string.Join(", ", inbound)}.");
        }

        var limit = engine.Active.Config.Server.MaxBodySize;
        var body = await RequestBody.ReadAsync(http.Request, limit, http.RequestAborted);
        if (body is null)
        {
            Reject(state, connection, "too_large");
            return Problem(413, "too_large", $"The body is larger than {limit} bytes (server.maxBodySize).");
        }

        var request = new InboundRequest(http.Request.Method, http.Request.Path,
            http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            new HeaderDictionary(http.Request.Headers), body.Value, http.Request.ContentType);
        Inbound result;
        try
        {
            result = await connector.ReceiveAsync(request, http.RequestAborted);
        }
        catch (InboundRejectedException ex)
        {
            Reject(state, connection, ex.ReasonCode);
            return Problem(ex.StatusCode, ex.ReasonCode, ex.Message);
        }

        var traceParent = http.Request.Headers.TraceParent.ToString() is { Length: 55 } incoming ? incoming
            : Activity.Current?.Id ?? $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        var accepted = new List<HookAck>(result.Events.Count);
        var duplicates = 0;
        foreach (var draft in result.Events)
        {
            var appended = await engine.AcceptAsync(connection, draft, traceParent, CancellationToken.None);
            duplicates += appended.Duplicate ? 1 : 0;
            accepted.Add(new HookAck(draft.Id, appended.Seq, appended.Duplicate ? "duplicate" : "accepted"));
        }

        if (result.Reply is { } reply)
        {
            http.Response.StatusCode = reply.StatusCode;
            http.Response.ContentType = reply.ContentType;
            await http.Response.Body.WriteAsync(reply.Body, CancellationToken.None);
            return Results.Empty;
        }

        // 202 once durable; 200 when everything was seen before, so the sender stops retrying.
        var status = accepted.Count > 0 && duplicates == accepted.Count ? 200 : 202;
        return accepted.Count == 1
            ? Results.Json(accepted[0], HookJson.Default.HookAck, statusCode: status)
            : Results.Json(new HookBatchAck(accepted), HookJson.Default.HookBatchAck, statusCode: status);
    }

    private static void Reject(HostState state, string connection, string reason) =>
        state.Metrics.EventsRejected.Add(1, new("connection", connection), new("reason", reason));

    internal static IResult Problem(int status, string reason, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: reason.Replace('_', ' '), extensions: new Dictionary<string, object?> { ["reason"] = reason });

    /// <summary>Header names are compared case-insensitively, as HTTP says.</summary>
    private sealed class HeaderDictionary(IHeaderDictionary headers) : IReadOnlyDictionary<string, string>
    {
        public string this[string key] => headers[key].ToString();

        public IEnumerable<string> Keys => headers.Keys;

        public IEnumerable<string> Values => headers.Values.Select(v => v.ToString());

        public int Count => headers.Count;

        public bool ContainsKey(string key) => headers.ContainsKey(key);

        public bool TryGetValue(string key, out string value)
        {
            var found = headers.TryGetValue(key, out var v);
            value = v.ToString();
            return found;
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>The answer to one accepted or duplicate event.</summary>
internal sealed record HookAck(string Id, long Seq, string Status);

/// <summary>The answer to a batch.</summary>
internal sealed record HookBatchAck(IReadOnlyList<HookAck> Events);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HookAck))]
[System.Text.Json.Serialization.JsonSerializable(typeof(HookBatchAck))]
internal sealed partial class HookJson : System.Text.Json.Serialization.JsonSerializerContext;
