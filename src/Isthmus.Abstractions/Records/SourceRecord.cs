using System.Text.Json.Nodes;

namespace Isthmus.Records;

/// <summary>
/// One record as a system holds it: a row of a SQL table, an item of a REST collection, a day of attendance.
/// </summary>
/// <param name="Id">The record's id in that system, as text (<c>42</c>, <c>C-0042</c>).</param>
/// <param name="Fields">The whole record as the system shows it, id and version columns included, so a mapping can read any of them.</param>
/// <param name="Version">What orders this record's changes where the system has one (row version, ETag, revision); <c>null</c> when it has none.</param>
/// <param name="UpdatedAt">When the system says the record last changed; used by last-writer-wins.</param>
/// <param name="Deleted">A tombstone: the record was deleted (systems that can see deletions say so; others leave it to reconciliation).</param>
public sealed record SourceRecord(string Id, JsonObject Fields, string? Version = null, DateTimeOffset? UpdatedAt = null, bool Deleted = false);

/// <summary>One page of a change feed.</summary>
/// <param name="Records">Changed records, oldest change first.</param>
/// <param name="Cursor">Where to resume after this page; store it and pass it back. <c>null</c> only when nothing was ever read.</param>
/// <param name="More">More changes are available now: read again at once instead of waiting for the next poll.</param>
public sealed record RecordPage(IReadOnlyList<SourceRecord> Records, string? Cursor, bool More);

/// <summary>A write Isthmus asks a system to make.</summary>
/// <param name="Id">The record to update; <c>null</c> creates one and the system picks the id. A given id that does not exist yet is
/// created with that id where the system lets the caller choose (an upsert).</param>
/// <param name="Fields">Only the fields Isthmus maps. Other fields of the record are left as they are (merge, never replace).</param>
/// <param name="ExpectedVersion">Optimistic concurrency: write only if the record is still at this version (<c>If-Match</c>);
/// otherwise throw <see cref="RecordConflictException"/>. <c>null</c> writes unconditionally.</param>
/// <param name="IdempotencyKey">The same key sent again must not create a second record or apply the write twice.</param>
public sealed record RecordWrite(string? Id, JsonObject Fields, string? ExpectedVersion, string IdempotencyKey);

/// <summary>The outcome of one write of a batch: the record as stored, or why it failed.</summary>
public sealed record RecordWriteResult(SourceRecord? Record, Exception? Error);
