using System.Collections.Concurrent;

namespace Isthmus.Sync;

/// <summary>A load, full sync or reconciliation, with its progress.</summary>
public sealed class SyncJob
{
    private long _read;
    private long _pages;

    internal SyncJob(long id, string kind, string entity, string? connection, DateTimeOffset startedAt)
    {
        Id = id;
        Kind = kind;
        Entity = entity;
        Connection = connection;
        StartedAt = startedAt;
    }

    /// <summary>Its number.</summary>
    public long Id { get; }

    /// <summary><c>load</c>, <c>full</c>, <c>poll</c> or <c>reconcile</c>.</summary>
    public string Kind { get; }

    /// <summary>The entity.</summary>
    public string Entity { get; }

    /// <summary>The connection read, when one.</summary>
    public string? Connection { get; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary><c>running</c>, <c>done</c> or <c>failed</c>.</summary>
    public string Status { get; private set; } = "running";

    /// <summary>Why it failed.</summary>
    public string? Error { get; private set; }

    /// <summary>Records read so far.</summary>
    public long Read => Interlocked.Read(ref _read);

    /// <summary>Pages read so far.</summary>
    public long Pages => Interlocked.Read(ref _pages);

    /// <summary>What the records did.</summary>
    public IngestSummary Summary { get; private set; } = IngestSummary.Zero;

    /// <summary>Completes when the job has ended (its status then says how).</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    /// <summary>The reconciliation's report, for a reconciliation.</summary>
    public ReconciliationReport? Report { get; internal set; }

    internal void Page(IngestSummary summary)
    {
        Interlocked.Add(ref _read, summary.Total);
        Interlocked.Increment(ref _pages);
        Summary = Summary.Add(summary);
    }

    internal void Finish(DateTimeOffset at, string? error = null)
    {
        FinishedAt = at;
        Error = error;
        Status = error is null ? "done" : "failed";
    }
}

/// <summary>The jobs of this process, newest first (finished ones kept for a while, for the API and the CLI).</summary>
public sealed class SyncJobs(TimeProvider time)
{
    private const int Kept = 100;
    private readonly ConcurrentDictionary<long, SyncJob> _jobs = new();
    private long _next;

    /// <summary>All, newest first.</summary>
    public IReadOnlyList<SyncJob> All => _jobs.Values.OrderByDescending(j => j.Id).ToList();

    /// <summary>One job.</summary>
    public SyncJob? Get(long id) => _jobs.GetValueOrDefault(id);

    /// <summary>A running job of the same kind for the same entity and connection, if any.</summary>
    public SyncJob? Running(string kind, string entity, string? connection) =>
        _jobs.Values.FirstOrDefault(j => j.Kind == kind && j.Entity == entity && j.Connection == connection && j.Status == "running");

    internal SyncJob Start(string kind, string entity, string? connection)
    {
        var job = new SyncJob(Interlocked.Increment(ref _next), kind, entity, connection, time.GetUtcNow());
        _jobs[job.Id] = job;
        foreach (var old in _jobs.Values.Where(j => j.Status != "running").OrderByDescending(j => j.Id).Skip(Kept))
        {
            _jobs.TryRemove(old.Id, out _);
        }

        return job;
    }
}
