using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Switchboard.Store;

/// <summary>
/// The transaction a <see cref="StoreWork{T}"/> runs in: plain SQL on <see cref="Connection"/> and <see cref="Transaction"/>
/// (with <see cref="Sql"/> to spell it from the model), or EF Core through <see cref="Db"/>, a context bound to the
/// same connection and transaction. On SQLite the context is made on first use, so plain-SQL work never pays for one.
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

    internal StoreTransaction(SwitchboardDb db)
    {
        _db = db;
        Connection = db.Database.GetDbConnection();
        Transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("no transaction");
        Sql = ModelSql.For(db);
    }

    public DbConnection Connection { get; }
    public DbTransaction Transaction { get; }
    public ModelSql Sql { get; }

    /// <summary>EF Core on this transaction. SaveChanges writes into it; nothing is durable before the writer commits.</summary>
    public SwitchboardDb Db => _db ??= _createDb!();

    internal SwitchboardDb? CreatedDb => _db;

    /// <summary>The work decided that nothing it wrote may stay: it is undone, and the caller still gets the work's result.</summary>
    public void Rollback() => RolledBack = true;

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
