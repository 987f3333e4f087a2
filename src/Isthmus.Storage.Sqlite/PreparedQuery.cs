using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

/// <summary>
/// One query kept prepared on a connection of its own. The pending-work readers run it thousands of times a
/// second; preparing it each time would have SQLite parse the same SQL again and again.
/// </summary>
internal sealed class PreparedQuery<T> : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _command;
    private readonly Func<SqliteDataReader, T> _read;
    private readonly Lock _gate = new();

    public PreparedQuery(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read, params string[] parameters)
    {
        _connection = connection;
        _read = read;
        _command = connection.CreateCommand();
        _command.CommandText = sql;
        foreach (var name in parameters)
        {
            _command.Parameters.Add(new SqliteParameter(name, null));
        }
    }

    public IReadOnlyList<T> Run(params object[] args)
    {
        lock (_gate)
        {
            for (var i = 0; i < args.Length; i++)
            {
                _command.Parameters[i].Value = args[i];
            }

            using var reader = _command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(_read(reader));
            }

            return rows;
        }
    }

    public void Dispose()
    {
        _command.Dispose();
        _connection.Dispose();
    }
}
