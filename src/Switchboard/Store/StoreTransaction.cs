using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Switchboard.Store;

/// <summary>
/// The transaction a <see cref="StoreWork{T}"/> runs in: plain SQL on <see cref="Connection"/> and <see cref="Transaction"/>
/// (with <see cref="Sql"/> to spell it from the model), or EF Core through <see cref="Db"/>, a context bound to the
/// same connection and transaction. On SQLite the context is made on first use, so plain-SQL work never pays for one.
/// In a one-command write (<see cref="IStoreWriter.WriteInOneCommandAsync{T}"/> on PostgreSQL) there is no transaction
/// and no context: the work's last command is its own transaction.
/// </summary>
public sealed class StoreTransaction
{
    private readonly Func<SwitchboardDb>? _createDb;
    private SwitchboardDb? _db;
    private List<Action>? _onCommitted;

    internal StoreTransaction(DbConnection connection, DbTransaction transaction, ModelSql sql, Func<SwitchboardDb> createDb)
    {
        Connection = connection;
        Transaction = transaction;
        Sql = sql;
        _createDb = createDb;
    }

    /// <summary>A one-command write on <paramref name="connection"/>: no transaction, no EF context.</summary>
    internal StoreTransaction(DbConnection connection, ModelSql sql)
    {
        Connection = connection;
        Sql = sql;
    }

    internal StoreTransaction(SwitchboardDb db)
    {
        _db = db;
        Connection = db.Database.GetDbConnection();
        Transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("no transaction");
        Sql = ModelSql.For(db);
    }

    public DbConnection Connection { get; }

    /// <summary>Null in a one-command write (see <see cref="CommitsWithCommand"/>).</summary>
    public DbTransaction? Transaction { get; }

    /// <summary>
    /// True in a one-command write: reads ran outside any transaction, and the one command that writes commits itself
    /// (PostgreSQL runs a multi-statement command as one implicit transaction), so every statement in it must refuse,
    /// by raising an error, a change to what was read (<see cref="ModelSql.OneRowOrRaise"/>), and the command must not be
    /// cancelled once sent.
    /// </summary>
    public bool CommitsWithCommand => Transaction is null;
    public ModelSql Sql { get; }

    /// <summary>EF Core on this transaction. SaveChanges writes into it; nothing is durable before the writer commits.</summary>
    public SwitchboardDb Db => _db ??= _createDb?.Invoke()
        ?? throw new InvalidOperationException("A one-command write has no EF context: its writes go out as one plain-SQL command.");

    internal SwitchboardDb? CreatedDb => _db;

    /// <summary>The work decided that nothing it wrote may stay: it is undone, and the caller still gets the work's result.</summary>
    public void Rollback() => RolledBack = CommitsWithCommand
        ? throw new InvalidOperationException("A one-command write commits with its command; it cannot be rolled back after.")
        : true;

    public bool RolledBack { get; private set; }

    /// <summary>Runs <paramref name="action"/> once the transaction is committed (e.g. to drop a cache), never when it is not.</summary>
    public void OnCommitted(Action action) => (_onCommitted ??= []).Add(action);

    internal void Committed()
    {
        if (_onCommitted is null || RolledBack) return;
        foreach (var action in _onCommitted)
        {
            // What is committed stays committed: a failing callback (a cache drop) must not turn the write into a failure.
            try { action(); }
            catch (Exception) { }
        }
    }
}
