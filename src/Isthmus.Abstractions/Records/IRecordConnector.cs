using Isthmus.Connectors;

namespace Isthmus.Records;

/// <summary>
/// A connection that holds records (an OA, CRM or ERP over REST, a SQL table, a chat platform's attendance),
/// read by a change feed and written one record at a time. The sync engine owns mapping, links, policies,
/// retries and echo suppression; a record connector only reads and writes faithfully.
/// </summary>
public interface IRecordConnector : IConnector
{
    /// <summary>The record types (tables, collections) this connection serves; <c>null</c> when any name is passed through.</summary>
    IReadOnlyCollection<string>? RecordTypes => null;

    /// <summary>The record types that can only be read (a mapping to them must be <c>direction: in</c>); none by default.</summary>
    IReadOnlyCollection<string> ReadOnlyRecordTypes => [];

    /// <summary>
    /// Records changed after <paramref name="cursor"/> (<c>null</c>: every record, from the beginning — a full read), oldest change
    /// first, at most <paramref name="limit"/>. The page's cursor resumes exactly after its last record, with no gap and no repeat
    /// even when several records share one timestamp.
    /// </summary>
    ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>One record by id, or <c>null</c> when the system does not have it.</summary>
    ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Creates or updates one record and returns it as stored (with its id and new version).
    /// Throw <see cref="RecordConflictException"/> when <see cref="RecordWrite.ExpectedVersion"/> is stale, and
    /// <see cref="ConnectorException"/> to classify other failures.
    /// </summary>
    ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken);

    /// <summary>Writes several records; one result per write, in order. Systems with a batch API override this.</summary>
    async ValueTask<IReadOnlyList<RecordWriteResult>> WriteBatchAsync(string recordType, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        var results = new RecordWriteResult[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            try
            {
                results[i] = new RecordWriteResult(await WriteAsync(recordType, writes[i], cancellationToken).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is ConnectorException or RecordConflictException)
            {
                results[i] = new RecordWriteResult(null, ex);
            }
        }

        return results;
    }

    /// <summary>Deletes one record; deleting one that is already gone succeeds. <paramref name="expectedVersion"/> as for writes.</summary>
    ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken);
}

/// <summary>The record changed since the version a write expected (HTTP 412, a row version that moved).</summary>
/// <param name="current">The record as it is now, when the system said.</param>
public sealed class RecordConflictException(string message, SourceRecord? current = null) : Exception(message)
{
    /// <summary>The record as it is now, when known; otherwise read it again.</summary>
    public SourceRecord? Current { get; } = current;
}
