using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Switchboard.Store;

/// <summary>
/// This node's read connections to the SQLite file for the hottest reads, each keeping its statements prepared
/// (<see cref="ReusableCommands"/>). Microsoft.Data.Sqlite prepares a command anew on every execution and EF creates a
/// command per query (dotnet/efcore#14044): for the credential read's joined statement, sqlite3_prepare_v2 was about
/// half of the request thread's CPU in <c>bench/run.sh --only reads</c>. Reads only: writes go through the writer.
/// A read holds no snapshot between calls (its reader is disposed before the connection goes back).
/// </summary>
public sealed class SqliteKeptReads(string connectionString) : IDisposable
{
    private const int MaxIdle = 16;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private volatile bool _disposed;

    /// <summary>Runs <paramref name="text"/> with the parameters <paramref name="bind"/> adds and reads its result.</summary>
    public T Read<T>(string text, Action<SqliteCommand> bind, Func<SqliteDataReader, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_idle.TryTake(out var connection))
        {
            connection = new SqliteConnection(connectionString);
            connection.Open();
            ReusableCommands.KeepFor(connection);
        }
        var healthy = false;
        try
        {
            var command = (SqliteCommand)ReusableCommands.Get(connection, transaction: null, text).Command;
            bind(command);
            T result;
            using (var reader = command.ExecuteReader()) result = read(reader);
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy && !_disposed && _idle.Count < MaxIdle) _idle.Add(connection);
            else Close(connection);
        }
    }

    private static void Close(SqliteConnection connection)
    {
        ReusableCommands.Forget(connection);
        connection.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection)) Close(connection);
    }
}
