using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Switchboard.Telemetry;

namespace Switchboard.Data;

/// <summary>A unit of plain-SQL work, run inside the transaction it is handed. It must not commit or roll back.</summary>
public delegate Task<T> TransactionWork<T>(DbConnection connection, DbTransaction transaction, CancellationToken ct);

/// <summary>
/// Runs a hot write in a transaction and completes when it is durable. How depends on the database: SQLite has one
/// writer and pays one WAL fsync per commit, so concurrent writes share commits (<see cref="SqliteGroupCommit"/>);
/// PostgreSQL runs concurrent transactions itself (<see cref="TransactionPerCall"/>).
/// </summary>
public abstract class GroupCommit
{
    public abstract Task<T> RunAsync<T>(SwitchboardDb db, TransactionWork<T> work, CancellationToken ct);
}

/// <summary>One transaction per call on the request's own connection.</summary>
public sealed class TransactionPerCall : GroupCommit
{
    public override async Task<T> RunAsync<T>(SwitchboardDb db, TransactionWork<T> work, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var result = await work(db.Database.GetDbConnection(), tx.GetDbTransaction(), ct);
        // Not cancellable once the work is done: a COMMIT cut short would leave the caller not knowing what is stored.
        await tx.CommitAsync(CancellationToken.None);
        return result;
    }
}

/// <summary>
/// Group commit for one SQLite file. Writes queued by this process run one after another on one connection, many to a
/// transaction, so N writers waiting together share one COMMIT (one fsync) instead of paying N in turn. Each write runs
/// in its own SAVEPOINT, so one that throws is undone alone and fails alone. A caller's task completes only after the
/// COMMIT that made its write durable (or with the error that kept it from being written). Batches hold the same
/// in-process write gate as EF's writers (<see cref="SqliteDb.WriteGateFor"/>); other processes wait on the file lock.
/// </summary>
public sealed class SqliteGroupCommit : GroupCommit, IAsyncDisposable
{
    /// <summary>At most this many writes share a transaction, so one batch never holds the file lock for long.</summary>
    public const int MaxBatch = 64;

    private readonly string _connectionString;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _batches, _writes;
    private SqliteConnection? _connection;

    /// <summary>Transactions this queue has run, and the writes they carried (the ratio is the grouping achieved).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public long Writes => Interlocked.Read(ref _writes);

    public SqliteGroupCommit(string connectionString)
    {
        _connectionString = connectionString;
        _writer = Task.Run(WriteLoopAsync);
    }

    public override Task<T> RunAsync<T>(SwitchboardDb db, TransactionWork<T> work, CancellationToken ct)
    {
        // The writer needs the gate and the file lock: a caller holding either would wait on itself (and on the batch).
        if (db is SqliteDb { HoldsWriteLock: true })
            throw new InvalidOperationException("Queue writes only from a context that holds no write lock or transaction.");
        var item = new Work<T>(work, ct);
        if (!_queue.Writer.TryWrite(item)) throw new ObjectDisposedException(nameof(SqliteGroupCommit));
        return item.Completion;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var batch = new List<Work>(MaxBatch);
            while (await _queue.Reader.WaitToReadAsync())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
                {
                    if (item.Cancelled) item.Cancel();
                    else batch.Add(item);
                }
                if (batch.Count > 0) await WriteBatchAsync(batch);
            }
        }
        catch (Exception e)
        {
            // Never expected (WriteBatchAsync catches its errors); if it happens, no caller may wait forever.
            _queue.Writer.TryComplete(e);
            while (_queue.Reader.TryRead(out var item)) item.Fail(e);
        }
    }

    private async Task WriteBatchAsync(List<Work> batch)
    {
        var gate = SqliteDb.WriteGateFor(_connectionString);
        await gate.WaitAsync();
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _writes, batch.Count);
        SwitchboardMetrics.GroupCommitBatchSize.Record(batch.Count);
        try
        {
            var connection = await WriterConnectionAsync();
            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the file's write lock is taken before the first read.
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
            foreach (var item in batch)
            {
                await ExecuteAsync(connection, tx, "SAVEPOINT w;");
                try
                {
                    await item.RunAsync(connection, tx);
                    await ExecuteAsync(connection, tx, "RELEASE w;");
                }
                catch (Exception e)
                {
                    item.Fail(e);
                    // If SQLite ended the whole transaction (I/O error, disk full) this throws: the batch fails below.
                    await ExecuteAsync(connection, tx, "ROLLBACK TO w;");
                    await ExecuteAsync(connection, tx, "RELEASE w;");
                }
            }
            await tx.CommitAsync();
            foreach (var item in batch) item.Complete();
        }
        catch (Exception e)
        {
            // Nothing of this batch was committed: every write still pending fails with the reason (wrapped per caller,
            // as each rethrows it on its own request). The next batch starts on a new connection.
            foreach (var item in batch) item.Fail(new GroupCommitException(e));
            await CloseWriterConnectionAsync();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The writer's own connection, kept open so its statements stay prepared (<see cref="ReusableCommands"/>).</summary>
    private async Task<SqliteConnection> WriterConnectionAsync()
    {
        if (_connection is { State: System.Data.ConnectionState.Open }) return _connection;
        await CloseWriterConnectionAsync();
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        ReusableCommands.KeepFor(connection);
        return _connection = connection;
    }

    private async Task CloseWriterConnectionAsync()
    {
        if (_connection is null) return;
        ReusableCommands.Forget(_connection);
        await _connection.DisposeAsync();
        _connection = null;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        await using var lease = ReusableCommands.Get(connection, tx, sql);
        await lease.Command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        await CloseWriterConnectionAsync();
    }

    private abstract class Work
    {
        public abstract bool Cancelled { get; }
        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);
        public abstract void Complete();
        public abstract void Fail(Exception e);
        public abstract void Cancel();
    }

    private sealed class Work<T>(TransactionWork<T> work, CancellationToken ct) : Work
    {
        // Continuations go to the thread pool: the writer never runs a request's code after its write.
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private bool _failed;

        public Task<T> Completion => _done.Task;

        public override bool Cancelled => ct.IsCancellationRequested;

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction) =>
            _result = await work(connection, transaction, CancellationToken.None);

        public override void Complete()
        {
            if (!_failed) _done.TrySetResult(_result);
        }

        public override void Fail(Exception e)
        {
            _failed = true;
            _done.TrySetException(e);
        }

        public override void Cancel() => _done.TrySetCanceled(ct);
    }
}

/// <summary>A write that could not be committed because the batch it shared could not; the cause is the inner exception.</summary>
public sealed class GroupCommitException(Exception cause)
    : Exception("The transaction this write shared with others could not be committed.", cause);
