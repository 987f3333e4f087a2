using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Isthmus.Storage.Sqlite;

/// <summary>
/// A statement the writer runs thousands of times per commit, kept prepared on the writer's connection and bound by
/// position. <see cref="WriteSession.Execute"/> goes through ADO.NET, which per run looks every parameter up by name,
/// converts every string to UTF-8 and allocates a reader; for the rows of a sync commit that was as much work as SQLite's
/// own. JSON values are written as UTF-8 and bound as they are, without becoming a string first.
/// </summary>
/// <remarks>Runs inside the writer's current transaction: SQLite's transaction belongs to the connection.</remarks>
internal sealed class WriteStatement : IDisposable
{
    private const uint PreparePersistent = 0x01;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private int _next = 1;

    public WriteStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v3(_db, sql, PreparePersistent, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Binds the next parameter.</summary>
    public WriteStatement Text(string? value)
    {
        Check(value is null ? raw.sqlite3_bind_null(_statement, _next++) : raw.sqlite3_bind_text(_statement, _next++, value));
        return this;
    }

    /// <summary>Binds the next parameter.</summary>
    public WriteStatement Integer(long? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, _next++, v) : raw.sqlite3_bind_null(_statement, _next++));
        return this;
    }

    /// <summary>Binds the next parameter to the JSON text <paramref name="write"/> writes (null without it).</summary>
    public WriteStatement Json(Action<Utf8JsonWriter>? write)
    {
        if (write is null)
        {
            Check(raw.sqlite3_bind_null(_statement, _next++));
            return this;
        }

        ReadOnlySpan<byte> json;
        try
        {
            json = JsonBuffer.Write(write);
        }
        catch
        {
            // Unbound: the next use starts from the first parameter again.
            Reset();
            throw;
        }

        // SQLite copies the text (SQLITE_TRANSIENT), so the buffer can serve the next value at once.
        Check(raw.sqlite3_bind_text(_statement, _next++, json));
        return this;
    }

    /// <summary>Runs the statement with the parameters bound since the last run.</summary>
    public void Run()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            Reset();
        }
    }

    private void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
        _next = 1;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            Reset();
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose() => _statement.Dispose();
}

/// <summary>
/// One buffer and JSON writer per thread, reused: a new pair for each value, and the buffer growing for most of them, were
/// most of what a sync commit allocated.
/// </summary>
internal static class JsonBuffer
{
    private const int MaxKept = 1 << 20;

    [ThreadStatic]
    private static (System.Buffers.ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_current;

    /// <summary>The UTF-8 JSON <paramref name="write"/> writes, valid until the next call on this thread.</summary>
    public static ReadOnlySpan<byte> Write(Action<Utf8JsonWriter> write)
    {
        var (buffer, writer) = t_current ??= New();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer);
        writer.Flush();
        if (buffer.Capacity > MaxKept)
        {
            // An unusually large value: its buffer is not kept for the life of the thread.
            t_current = null;
        }

        return buffer.WrittenSpan;
    }

    private static (System.Buffers.ArrayBufferWriter<byte>, Utf8JsonWriter) New()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        return (buffer, new Utf8JsonWriter(buffer));
    }
}
