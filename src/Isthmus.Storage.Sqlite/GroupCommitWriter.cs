using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

/// <summary>
/// The single writer. Concurrent write requests queue here; one loop takes everything queued, runs it in one
/// transaction and commits once, so many requests share one fsync (group commit). A request's task completes
/// only after that commit.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private readonly Channel<WriteRequest> _requests = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WriteStatement> _statements = new(StringComparer.Ordinal);
    private readonly Thread _loop;
    private readonly Action<WriteSession> _committed;

    /// <param name="committed">Runs on the writer thread after each commit, with the session that holds what it wrote.</param>
    public GroupCommitWriter(SqliteConnection connection, Action<WriteSession> committed)
    {
        _connection = connection;
        _committed = committed;
        // A thread of its own: SQLite calls and fsyncs block, and on a 2-core machine blocking pool threads makes
        // the pool grow and the scheduler thrash.
        _loop = new Thread(Run) { IsBackground = true, Name = "isthmus-store-writer" };
        _loop.Start();
    }

    public Task<T> WriteAsync<T>(Func<WriteSession, T> work)
    {
        var request = new WriteRequest<T>(work);
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(GroupCommitWriter), "The store is shutting down.");
        }

        return request.Task;
    }

    private void Run()
    {
        var batch = new List<WriteRequest>(MaxBatch);
        var session = new WriteSession(this);
        while (WaitForRequests())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _requests.Reader.TryRead(out var request))
            {
                batch.Add(request);
            }

            if (!TryCommit(batch, session))
            {
                // One request broke the batch: run each alone so only the broken one fails.
                foreach (var request in batch)
                {
                    TryCommit([request], session);
                }
            }
        }
    }

    private bool TryCommit(List<WriteRequest> batch, WriteSession session)
    {
        using var transaction = _connection.BeginTransaction();
        session.Transaction = transaction;
        session.Appended.Clear();
        session.Created.Clear();
        try
        {
            foreach (var request in batch)
            {
                request.Execute(session);
            }

            transaction.Commit();
        }
        catch (Exception ex)
        {
            transaction.Rollback();
            if (batch.Count == 1)
            {
                batch[0].Fail(ex);
                return true;
            }

            return false;
        }

        _committed(session);
        foreach (var request in batch)
        {
            request.Complete();
        }

        return true;
    }

    private bool WaitForRequests()
    {
        var wait = _requests.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    internal SqliteCommand Command(string sql, SqliteTransaction transaction)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        command.Transaction = transaction;
        return command;
    }

    internal WriteStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new WriteStatement(_connection, sql);
            _statements[sql] = statement;
        }

        return statement;
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.Run(_loop.Join).ConfigureAwait(false);
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }
    }

    private abstract class WriteRequest
    {
        public abstract void Execute(WriteSession session);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteRequest<T>(Func<WriteSession, T> work) : WriteRequest
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _completion.Task;

        public override void Execute(WriteSession session) => _result = work(session);

        public override void Complete() => _completion.TrySetResult(_result);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}

/// <summary>What a write request sees: cached, prepared commands inside the current transaction.</summary>
internal sealed class WriteSession(GroupCommitWriter writer)
{
    public SqliteTransaction Transaction { get; set; } = null!;

    /// <summary>Events appended in this transaction, in seq order.</summary>
    public List<Events.StoredEvent> Appended { get; } = [];

    /// <summary>Deliveries created in this transaction, in id order.</summary>
    public List<Deliveries.PendingDelivery> Created { get; } = [];

    /// <summary>Runs <paramref name="sql"/> with positional parameters <c>$0</c>, <c>$1</c>, …</summary>
    public int Execute(string sql, params object?[] args) => Bind(sql, args).ExecuteNonQuery();

    /// <summary>A prepared statement for <paramref name="sql"/> (parameters <c>?</c>, bound in order), kept for the life of the writer.</summary>
    public WriteStatement Statement(string sql) => writer.Statement(sql);

    public object? Scalar(string sql, params object?[] args) => Bind(sql, args).ExecuteScalar();

    public SqliteDataReader Query(string sql, params object?[] args) => Bind(sql, args).ExecuteReader();

    private SqliteCommand Bind(string sql, object?[] args)
    {
        var command = writer.Command(sql, Transaction);
        if (command.Parameters.Count != args.Length)
        {
            command.Parameters.Clear();
            for (var i = 0; i < args.Length; i++)
            {
                command.Parameters.Add(new SqliteParameter("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
            }
        }

        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters[i].Value = args[i] ?? DBNull.Value;
        }

        return command;
    }
}
