using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Switchboard.Store;

/// <summary>
/// PostgreSQL runs concurrent transactions itself: each write is one transaction on a context of its own (from the
/// pool), committed before the caller hears back. Row locks (SELECT … FOR UPDATE in the install) and optimistic
/// version checks keep concurrent writers apart; callers retry where a race can be lost (a unique insert).
/// </summary>
public sealed class PostgresStoreWriter(IDbContextFactory<PostgresDb> contexts) : StoreWriter, IAsyncDisposable
{
    private readonly PostgresAppends _appends = new(contexts);

    protected override Task AppendCoreAsync(Audit.AuditEvent e, CancellationToken ct) => _appends.AppendAsync(e, ct);

    public ValueTask DisposeAsync() => _appends.DisposeAsync();

    public override async Task<T> WriteAsync<T>(StoreWork<T> work, CancellationToken ct)
    {
        RefuseNested();
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.IsWriterContext = true;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var store = new StoreTransaction(db);
            var result = await RunAsync(work, store, ct);
            // Not cancellable once the work is done: a COMMIT cut short would leave the caller not knowing what is stored.
            if (store.RolledBack) await tx.RollbackAsync(CancellationToken.None);
            else
            {
                await tx.CommitAsync(CancellationToken.None);
                store.Committed();
            }
            return result;
        }
        finally
        {
            db.IsWriterContext = false;
        }
    }

    public override async Task<T> WriteInOneCommandAsync<T>(StoreWork<T> work, CancellationToken ct)
    {
        RefuseNested();
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var store = new StoreTransaction(db.Database.GetDbConnection(), ModelSql.For(db));
        T result;
        try
        {
            result = await RunAsync(work, store, ct);
        }
        // A statement of the write found what was read changed (ModelSql.OneRowOrRaise): nothing of it was written.
        catch (PostgresException e) when (e.SqlState == ModelSql.StaleSqlState)
        {
            throw new DbUpdateConcurrencyException("What the write was based on changed before it ran; nothing was written.", e);
        }
        store.Committed();
        return result;
    }
}
