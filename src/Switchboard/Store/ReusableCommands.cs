using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Switchboard.Store;

/// <summary>
/// Commands kept prepared, by their text, on a connection that stays open across many writes (the SQLite group-commit
/// writer's): for these one-row statements SQLite spends more time parsing a statement than running it. On any other
/// connection a command is created and disposed as usual. A kept connection is used by one writer at a time.
/// </summary>
public static class ReusableCommands
{
    private const int MaxPerConnection = 32;
    private static readonly ConditionalWeakTable<DbConnection, Dictionary<string, DbCommand>> Kept = new();

    /// <summary>From now on, commands run on <paramref name="connection"/> are kept prepared until <see cref="Forget"/>.</summary>
    public static void KeepFor(DbConnection connection) => Kept.AddOrUpdate(connection, new Dictionary<string, DbCommand>(StringComparer.Ordinal));

    public static void Forget(DbConnection connection)
    {
        if (!Kept.TryGetValue(connection, out var commands)) return;
        Kept.Remove(connection);
        foreach (var command in commands.Values) command.Dispose();
    }

    /// <summary>A command with <paramref name="text"/> in <paramref name="transaction"/> (none for a read), without parameters.</summary>
    public static CommandLease Get(DbConnection connection, DbTransaction? transaction, string text)
    {
        if (!Kept.TryGetValue(connection, out var commands))
        {
            var fresh = connection.CreateCommand();
            fresh.CommandText = text;
            fresh.Transaction = transaction;
            return new CommandLease(fresh, owned: true);
        }
        if (!commands.TryGetValue(text, out var command))
        {
            // Texts vary only with the shape of a write (how many secrets); a flood of shapes just starts over.
            if (commands.Count >= MaxPerConnection)
            {
                foreach (var c in commands.Values) c.Dispose();
                commands.Clear();
            }
            command = connection.CreateCommand();
            command.CommandText = text;
            commands[text] = command;
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        return new CommandLease(command, owned: false);
    }
}

/// <summary>A command to use once; disposing it disposes only a command that is not kept.</summary>
public readonly struct CommandLease(DbCommand command, bool owned) : IAsyncDisposable
{
    public DbCommand Command => command;

    /// <summary>Moves every parameter of <paramref name="scratch"/> (where a statement's text was built) onto this command.</summary>
    public void TakeParametersOf(DbCommand scratch)
    {
        foreach (var p in scratch.Parameters.Cast<DbParameter>().ToList())
        {
            scratch.Parameters.Remove(p);
            command.Parameters.Add(p);
        }
    }

    public ValueTask DisposeAsync() => owned ? command.DisposeAsync() : ValueTask.CompletedTask;
}
