using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.Http.Records;

/// <summary>
/// An <c>http</c> connection with a <c>records:</c> section: it still performs <c>request</c> deliveries, and it reads and
/// writes records over REST through the same headers, auth, limits, circuit breaker and timeout. See
/// <c>docs/connectors/http.md</c>, "Records".
/// </summary>
internal sealed partial class HttpRecordConnector(HttpConnector http, IReadOnlyDictionary<string, RecordTypeSettings> types)
    : IOutboundConnector, IRecordConnector
{
    public string Connection => http.Connection;

    public IReadOnlyCollection<string>? Actions => http.Actions;

    public IReadOnlyCollection<string> RecordTypes { get; } = [.. types.Keys];

    public ValueTask<DeliveryReceipt> DeliverAsync(Delivery delivery, CancellationToken cancellationToken) => http.DeliverAsync(delivery, cancellationToken);

    public async ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var type = Type(recordType);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ChangeCursor? start;
        try
        {
            start = ChangeCursor.Decode(cursor);
        }
        catch (FormatException ex)
        {
            throw new ConnectorException($"{Connection}/{recordType}: {ex.Message}", FailureKind.Rejected, innerException: ex);
        }

        var seen = new HashSet<string>(start?.Seen ?? [], StringComparer.Ordinal);
        var since = start is null ? (Stamp?)null : Stamp.Parse(start.Since);
        var lastSince = since;
        var lastSeen = new List<string>(start?.Seen ?? []);
        var records = new List<SourceRecord>();
        var more = false;

        // Ask for enough to fill the page after skipping what was already returned at the cursor's instant.
        var size = (int)Math.Min(type.PageSize, (long)limit + seen.Count);
        var page = new ServerPage(1, 0, null);
        while (true)
        {
            var (items, next) = await ListAsync(type, start?.Since, size, page, cancellationToken);
            foreach (var record in items)
            {
                var stamp = Stamp.Parse(StampOf(record, type));
                if (since is { } from)
                {
                    var order = stamp.CompareTo(from);
                    if (order < 0 || (order == 0 && seen.Contains(record.Id)))
                    {
                        continue;
                    }
                }

                if (records.Count == limit)
                {
                    more = true;
                    break;
                }

                records.Add(record);
                if (lastSince is { } last && stamp.CompareTo(last) == 0)
                {
                    lastSeen.Add(record.Id);
                }
                else
                {
                    (lastSince, lastSeen) = (stamp, [record.Id]);
                }
            }

            if (more || next is null)
            {
                break;
            }

            if (records.Count == limit)
            {
                // The page is full and the system has more: say so rather than fetch a page only to look.
                more = true;
                break;
            }

            page = next;
        }

        var resume = lastSince is { } end ? new ChangeCursor(end.Text, lastSeen).Encode() : null;
        return new RecordPage(records, resume, more);
    }

    public async ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken)
    {
        var type = Type(recordType);
        var url = ItemUrl(type, id);
        var response = await http.CallAsync(HttpMethod.Get, url, null, [], cancellationToken);
        if (response.StatusCode is 404 or 410)
        {
            return null;
        }

        return Answer(response, type, $"GET {url}");
    }

    public async ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var type = Type(recordType);
        var body = System.Text.Encoding.UTF8.GetBytes(write.Fields.ToJsonString());
        var headers = new List<KeyValuePair<string, string>> { KeyValuePair.Create(http.IdempotencyHeader, write.IdempotencyKey) };
        if (write.Id is null)
        {
            return await CreateAsync(type, body, headers, cancellationToken);
        }

        if (write.ExpectedVersion is { } expected)
        {
            headers.Add(KeyValuePair.Create("If-Match", RecordJson.IfMatch(expected)));
        }

        var url = ItemUrl(type, write.Id);
        var method = type.Update == "put" ? HttpMethod.Put : HttpMethod.Patch;
        var response = await http.CallAsync(method, url, body, headers, cancellationToken);
        if (response.StatusCode == 404 && method == HttpMethod.Patch)
        {
            if (write.ExpectedVersion is not null)
            {
                throw new RecordConflictException($"{Connection}/{recordType} {write.Id}: expected version {write.ExpectedVersion}, but the record no longer exists");
            }

            // An upsert over PATCH: create the record with the caller's id. The key differs from the PATCH's, which the
            // system may have remembered with its 404.
            var fields = (JsonObject)write.Fields.DeepClone();
            fields[type.Id] = write.Id;
            return await CreateAsync(type, System.Text.Encoding.UTF8.GetBytes(fields.ToJsonString()),
                [KeyValuePair.Create(http.IdempotencyHeader, write.IdempotencyKey + ":create")], cancellationToken);
        }

        return await WrittenAsync(response, type, write.Id, write.ExpectedVersion, $"{method} {url}", cancellationToken);
    }

    public async ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken)
    {
        var type = Type(recordType);
        var url = ItemUrl(type, id);
        List<KeyValuePair<string, string>> headers = expectedVersion is null ? [] : [KeyValuePair.Create("If-Match", RecordJson.IfMatch(expectedVersion))];
        var response = await http.CallAsync(HttpMethod.Delete, url, null, headers, cancellationToken);
        switch (response.StatusCode)
        {
            case >= 200 and < 300 or 404 or 410:
                return;
            case 412:
                throw Conflict(response, type, id, expectedVersion);
            default:
                http.ThrowFailure(response, $"DELETE {url}");
                return;
        }
    }

    public ValueTask DisposeAsync() => http.DisposeAsync();

    private async ValueTask<SourceRecord> CreateAsync(RecordTypeSettings type, byte[] body, List<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var url = Url(type, type.Path, []);
        var response = await http.CallAsync(HttpMethod.Post, url, body, headers, cancellationToken);
        if (response.StatusCode == 409)
        {
            throw new RecordConflictException($"{Connection}/{type.Name}: POST {url} → 409: the id is taken (created meanwhile); read it and write again");
        }

        return await WrittenAsync(response, type, null, null, $"POST {url}", cancellationToken);
    }

    /// <summary>The record a write answered with; a system that answers without one is asked for it.</summary>
    private async ValueTask<SourceRecord> WrittenAsync(DeliveryResponse response, RecordTypeSettings type, string? id, string? expected, string call,
        CancellationToken cancellationToken)
    {
        if (response.StatusCode == 412)
        {
            throw Conflict(response, type, id, expected);
        }

        if (response.IsSuccess && (response.Body is null || response.Body.Length == 0) && id is not null)
        {
            return await GetAsync(type.Name, id, cancellationToken)
                ?? throw new ConnectorException($"{call} → {response.StatusCode} but the record cannot be read back", FailureKind.Transient, statusCode: response.StatusCode);
        }

        return Answer(response, type, call);
    }

    private SourceRecord Answer(DeliveryResponse response, RecordTypeSettings type, string call)
    {
        if (!response.IsSuccess)
        {
            http.ThrowFailure(response, call);
        }

        try
        {
            return RecordJson.Record(RecordJson.Parse(response.Body), type, response.ETag);
        }
        catch (FormatException ex)
        {
            throw new ConnectorException($"{call} → {response.StatusCode}: {ex.Message}", FailureKind.Rejected, statusCode: response.StatusCode, innerException: ex);
        }
    }

    private RecordConflictException Conflict(DeliveryResponse response, RecordTypeSettings type, string? id, string? expected)
    {
        SourceRecord? current = null;
        try
        {
            if (RecordJson.Parse(response.Body) is JsonObject body && body["current"] is JsonObject now)
            {
                current = RecordJson.Record(now, type);
            }
        }
        catch (FormatException)
        {
            // The conflict stands without the current record; the engine reads it again.
        }

        var what = expected is null ? "" : $" expected version {expected}, but";
        return new RecordConflictException(
            $"{Connection}/{type.Name} {id ?? current?.Id}:{what} the record changed (412){(current?.Version is { } v ? $"; it is now at version {v}" : "")}", current);
    }

    private RecordTypeSettings Type(string recordType) => types.TryGetValue(recordType, out var type) ? type
        : throw new ConnectorException($"connection '{Connection}' has no record type '{recordType}'; it has: {string.Join(", ", types.Keys)}", FailureKind.Rejected);

    private Uri ItemUrl(RecordTypeSettings type, string id) => Url(type, type.Path.TrimEnd('/') + "/" + Uri.EscapeDataString(id), []);

    private Uri Url(RecordTypeSettings type, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        try
        {
            return TargetUrl.Resolve(http.BaseUrl, path, query);
        }
        catch (FormatException ex)
        {
            throw new ConnectorException($"{Connection}/{type.Name}: {ex.Message}", FailureKind.Rejected, innerException: ex);
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
