namespace Switchboard.Store;

/// <summary>Work done inside a write transaction; it must not commit or roll back, nor wait on anything but the database.</summary>
public delegate Task<T> StoreWork<T>(StoreTransaction tx, CancellationToken ct);

/// <summary>
/// The one way anything is written to the database. The work runs inside a transaction, and the returned task
/// completes once that transaction is committed (durable), or fails with the reason it was not. How depends on the
/// database: <see cref="SqliteStoreWriter"/> (SQLite has one writer per file: every write of the process goes through
/// one connection, many to a commit) or <see cref="PostgresStoreWriter"/> (a transaction per call). Reads use the
/// request's own <see cref="SwitchboardDb"/>; a read that a write depends on belongs inside the work.
/// </summary>
public interface IStoreWriter
{
    Task<T> WriteAsync<T>(StoreWork<T> work, CancellationToken ct);

    /// <summary>
    /// A write whose reads take no locks and whose writes all go out in its last command, which refuses (raises) if what
    /// was read has changed (<see cref="StoreTransaction.CommitsWithCommand"/>). On PostgreSQL that command is its own
    /// implicit transaction: one round trip for the reads and one for the writes with their commit, where a transaction
    /// takes three (BEGIN with the reads, the writes, COMMIT) and holds a row lock across them. A refused write fails
    /// with <see cref="Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException"/> or a unique violation, having
    /// written nothing; the caller retries, with <see cref="WriteAsync{T}"/> if it must win a contended row. On SQLite
    /// (one writer, group commit) it is <see cref="WriteAsync{T}"/>.
    /// </summary>
    Task<T> WriteInOneCommandAsync<T>(StoreWork<T> work, CancellationToken ct);

    /// <summary>
    /// One audit event that belongs to no other write (a credential read, a tool call, a proxied request): durable when
    /// the task completes, like any write, but many concurrent ones share a commit on both databases.
    /// </summary>
    Task AppendAsync(Audit.AuditEvent e, CancellationToken ct);
}

public static class StoreWriterExtensions
{
    public static Task WriteAsync(this IStoreWriter writer, Func<StoreTransaction, CancellationToken, Task> work, CancellationToken ct) =>
        writer.WriteAsync<bool>(async (tx, token) =>
        {
            await work(tx, token);
            return true;
        }, ct);
}

/// <summary>What both writers share: a write never waits for another write from inside one.</summary>
public abstract class StoreWriter : IStoreWriter
{
    private static readonly AsyncLocal<bool> Writing = new();

    public abstract Task<T> WriteAsync<T>(StoreWork<T> work, CancellationToken ct);

    public virtual Task<T> WriteInOneCommandAsync<T>(StoreWork<T> work, CancellationToken ct) => WriteAsync(work, ct);

    public Task AppendAsync(Audit.AuditEvent e, CancellationToken ct)
    {
        Telemetry.SwitchboardMetrics.AuditAppends.Add(1);
        return AppendCoreAsync(e, ct);
    }

    /// <summary>How this database makes a standalone append durable.</summary>
    protected abstract Task AppendCoreAsync(Audit.AuditEvent e, CancellationToken ct);

    /// <summary>On SQLite the inner write would queue behind the outer one, which waits for it: the caller is told at once.</summary>
    protected static void RefuseNested()
    {
        if (Writing.Value)
            throw new InvalidOperationException("A write cannot wait for another write from inside one; use the StoreTransaction it was given.");
    }

    protected static async Task<T> RunAsync<T>(StoreWork<T> work, StoreTransaction tx, CancellationToken ct)
    {
        // Set in this async method, so it flows into the work and not back out to the writer.
        Writing.Value = true;
        return await work(tx, ct);
    }
}
