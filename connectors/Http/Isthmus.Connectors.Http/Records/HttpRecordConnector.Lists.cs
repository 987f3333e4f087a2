using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.Http.Records;

/// <summary>List calls (the change feed) and batch writes.</summary>
internal sealed partial class HttpRecordConnector
{
    /// <summary>The system's own paging position within one read: a page number, an offset, or its cursor.</summary>
    private sealed record ServerPage(int Page, int Offset, string? Cursor);

    /// <summary>One list call: the items in order, and where the system's next page is (<c>null</c>: no more).</summary>
    private async ValueTask<(List<SourceRecord> Items, ServerPage? Next)> ListAsync(
        RecordTypeSettings type, string? since, int size, ServerPage page, CancellationToken cancellationToken)
    {
        var query = new List<KeyValuePair<string, string>>(type.Query);
        if (since is not null)
        {
            query.Add(KeyValuePair.Create(type.Since, since));
        }

        switch (type.Paging)
        {
            case "cursor":
                query.Add(KeyValuePair.Create(type.LimitParam, Number(size)));
                if (page.Cursor is not null)
                {
                    query.Add(KeyValuePair.Create(type.CursorParam, page.Cursor));
                }

                break;
            case "page":
                query.Add(KeyValuePair.Create(type.PageParam, Number(page.Page)));
                query.Add(KeyValuePair.Create(type.PageSizeParam, Number(size)));
                break;
            case "offset":
                query.Add(KeyValuePair.Create(type.OffsetParam, Number(page.Offset)));
                query.Add(KeyValuePair.Create(type.LimitParam, Number(size)));
                break;
        }

        var url = Url(type, type.Path, query);
        var call = $"GET {url}";
        var response = await http.CallAsync(HttpMethod.Get, url, null, [], cancellationToken);
        if (!response.IsSuccess)
        {
            http.ThrowFailure(response, call);
        }

        try
        {
            var answer = RecordJson.Parse(response.Body);
            if (RecordJson.At(answer, type.Items) is not JsonArray list)
            {
                throw new FormatException(type.Items.Length == 0 ? "the answer is not a JSON array of records" : $"the answer has no list of records at '{type.Items}' (items)");
            }

            // Detached from the answer, the items become the records' fields without a copy.
            var nodes = list.ToArray();
            list.Clear();
            var items = new List<SourceRecord>(nodes.Length);
            foreach (var node in nodes)
            {
                var record = RecordJson.Record(node, type, detached: true);
                if (RecordJson.Text(record.Fields[type.UpdatedAt]) is null)
                {
                    throw new FormatException($"{type.Name} {record.Id} has no '{type.UpdatedAt}' (updatedAt), which the change feed is ordered by");
                }

                items.Add(record);
            }

            ServerPage? next = type.Paging switch
            {
                "cursor" => RecordJson.Text(RecordJson.At(answer, type.NextCursor)) is { Length: > 0 } c ? page with { Cursor = c } : null,
                "page" => nodes.Length >= size ? page with { Page = page.Page + 1 } : null,
                "offset" => nodes.Length >= size ? page with { Offset = page.Offset + nodes.Length } : null,
                _ => null,
            };
            return (items, next);
        }
        catch (FormatException ex)
        {
            throw new ConnectorException($"{call} → {response.StatusCode}: {ex.Message}", FailureKind.Rejected, statusCode: response.StatusCode, innerException: ex);
        }
    }

    private static string StampOf(SourceRecord record, RecordTypeSettings type) => RecordJson.Text(record.Fields[type.UpdatedAt])!;

    public async ValueTask<IReadOnlyList<RecordWriteResult>> WriteBatchAsync(string recordType, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var type = Type(recordType);
        var results = new RecordWriteResult[writes.Count];
        if (type.Batch is null)
        {
            for (var i = 0; i < writes.Count; i++)
            {
                try
                {
                    results[i] = new RecordWriteResult(await WriteAsync(recordType, writes[i], cancellationToken), null);
                }
                catch (Exception ex) when (ex is ConnectorException or RecordConflictException)
                {
                    results[i] = new RecordWriteResult(null, ex);
                }
            }

            return results;
        }

        for (var start = 0; start < writes.Count; start += type.BatchSize)
        {
            var count = Math.Min(type.BatchSize, writes.Count - start);
            try
            {
                await WriteChunkAsync(type, writes, start, count, results, cancellationToken);
            }
            catch (ConnectorException ex)
            {
                // The whole call failed: each of its writes failed the same way, and is retried with the same key.
                for (var i = start; i < start + count; i++)
                {
                    results[i] = new RecordWriteResult(null, ex);
                }
            }
        }

        return results;
    }

    /// <summary><c>POST {path}/{batch}</c> <c>{"items":[{"id"?,"fields","ifMatch"?,"idempotencyKey"}]}</c> → <c>{"results":[{"status","record"|"error","current"?}]}</c>.</summary>
    private async ValueTask WriteChunkAsync(RecordTypeSettings type, IReadOnlyList<RecordWrite> writes, int start, int count,
        RecordWriteResult[] results, CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        for (var i = start; i < start + count; i++)
        {
            var write = writes[i];
            var item = new JsonObject();
            if (write.Id is not null)
            {
                item["id"] = write.Id;
            }

            item["fields"] = write.Fields.DeepClone();
            if (write.Id is not null && write.ExpectedVersion is not null)
            {
                item["ifMatch"] = RecordJson.IfMatch(write.ExpectedVersion);
            }

            item["idempotencyKey"] = write.IdempotencyKey;
            items.Add(item);
        }

        var url = Url(type, type.Path.TrimEnd('/') + "/" + type.Batch!.TrimStart('/'), []);
        var call = $"POST {url}";
        var response = await http.CallAsync(HttpMethod.Post, url, Encoding.UTF8.GetBytes(new JsonObject { ["items"] = items }.ToJsonString()), [], cancellationToken);
        if (!response.IsSuccess)
        {
            http.ThrowFailure(response, call);
        }

        JsonArray answers;
        try
        {
            answers = RecordJson.Parse(response.Body)?["results"] as JsonArray ?? throw new FormatException("the answer has no \"results\" list");
            if (answers.Count != count)
            {
                throw new FormatException($"the answer has {answers.Count} results for {count} writes");
            }
        }
        catch (FormatException ex)
        {
            throw new ConnectorException($"{call} → {response.StatusCode}: {ex.Message}", FailureKind.Rejected, statusCode: response.StatusCode, innerException: ex);
        }

        for (var i = 0; i < count; i++)
        {
            results[start + i] = Result(type, writes[start + i], answers[i], call);
        }
    }

    private RecordWriteResult Result(RecordTypeSettings type, RecordWrite write, JsonNode? answer, string call)
    {
        var status = answer?["status"] is JsonValue s && s.TryGetValue<int>(out var code) ? code : 0;
        var what = $"{Connection}/{type.Name} {write.Id ?? "(new)"}";
        try
        {
            if (status is >= 200 and < 300)
            {
                return new RecordWriteResult(RecordJson.Record(answer!["record"], type), null);
            }

            if (status == 412)
            {
                var current = answer!["current"] is JsonObject now ? RecordJson.Record(now, type) : null;
                return new RecordWriteResult(null, new RecordConflictException(
                    $"{what}: expected version {write.ExpectedVersion}, but the record changed (412){(current?.Version is { } v ? $"; it is now at version {v}" : "")}", current));
            }
        }
        catch (FormatException ex)
        {
            return new RecordWriteResult(null, new ConnectorException($"{call} → {what}: {ex.Message}", FailureKind.Rejected, innerException: ex));
        }

        var error = RecordJson.Text(answer?["error"]) ?? answer?["error"]?.ToJsonString() ?? "no status";
        var kind = status switch
        {
            429 => FailureKind.RateLimited,
            408 or >= 500 or 0 => FailureKind.Transient,
            401 or 403 => FailureKind.Unauthorized,
            _ => FailureKind.Rejected,
        };
        return new RecordWriteResult(null, new ConnectorException($"{call} → {what}: {status} {error}", kind, statusCode: status == 0 ? null : status));
    }
}
