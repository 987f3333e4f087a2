using Isthmus.Records;

namespace Isthmus.Connectors.DingTalk;

/// <summary>The record type <c>attendance</c>: DingTalk's attendance results, read by polling, never written.</summary>
internal sealed partial class DingTalkConnector : IRecordConnector
{
    private static readonly string[] AttendanceOnly = [DingTalkAttendance.RecordType];

    private readonly DingTalkAttendance? _attendance;

    /// <inheritdoc/>
    public IReadOnlyCollection<string>? RecordTypes => _attendance is null ? [] : AttendanceOnly;

    /// <inheritdoc/>
    public IReadOnlyCollection<string> ReadOnlyRecordTypes => AttendanceOnly;

    /// <inheritdoc/>
    public ValueTask<RecordPage> ReadChangesAsync(string recordType, string? cursor, int limit, CancellationToken cancellationToken) =>
        Attendance(recordType).ReadChangesAsync(cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<SourceRecord?> GetAsync(string recordType, string id, CancellationToken cancellationToken)
    {
        Attendance(recordType);
        // Answering null would say "deleted"; DingTalk simply has no call that finds a result by id.
        throw new ConnectorException(
            $"DingTalk has no API to fetch one attendance result by id ('{id}'); read the change feed, which re-reads recent days", FailureKind.Rejected);
    }

    /// <inheritdoc/>
    public ValueTask<SourceRecord> WriteAsync(string recordType, RecordWrite write, CancellationToken cancellationToken)
    {
        Attendance(recordType);
        throw ReadOnly();
    }

    /// <inheritdoc/>
    public ValueTask DeleteAsync(string recordType, string id, string? expectedVersion, CancellationToken cancellationToken)
    {
        Attendance(recordType);
        throw ReadOnly();
    }

    private DingTalkAttendance Attendance(string recordType)
    {
        if (recordType != DingTalkAttendance.RecordType)
        {
            throw new ConnectorException($"DingTalk connection '{Connection}' holds the record type '{DingTalkAttendance.RecordType}' only, not '{recordType}'", FailureKind.Rejected);
        }

        return _attendance ?? throw new ConnectorException(
            $"DingTalk connection '{Connection}' has no 'attendance:' section; add e.g. attendance: {{ users: [userid1, userid2], lookBack: 2d }}", FailureKind.Rejected);
    }

    private ConnectorException ReadOnly() => new(
        $"attendance is read-only in DingTalk (connection '{Connection}'): results come from check-ins and approvals, there is no API to write them", FailureKind.Rejected);
}
