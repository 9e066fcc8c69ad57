using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Switchboard.Telemetry;

namespace Switchboard.Store;

/// <summary>
/// The only writer of one SQLite file in this process. SQLite has one writer per file and pays one WAL fsync per commit,
/// so every write of the process (the install fast path in plain SQL and every EF Core write alike) is queued here and
/// run one after another on one connection, many to a transaction: N writers waiting together share one COMMIT (one
/// fsync) instead of paying N in turn, and no writer of the process ever holds the file lock outside this queue. Each
/// write runs in its own SAVEPOINT, so one that throws is undone alone and fails alone; EF Core work gets a context bound
/// to this connection and the batch's transaction. A caller's task completes only after the COMMIT that made its write
/// durable (or with the error that kept it from being written). Other processes (the CLI) wait on the file lock.
/// </summary>
public sealed class SqliteStoreWriter : StoreWriter, IAsyncDisposable
{
    /// <summary>At most this many writes share a transaction, so one batch never holds the file lock for long.</summary>
    public const int MaxBatch = 64;

    /// <summary>
    /// One turn per database file for the writers of this process. A process normally has one writer per file; hosts
    /// that share a file in one process (two nodes in a test) take turns here, because SQLite's busy handler can let one
    /// writer that keeps committing starve the other past its timeout. Another process still waits on the file lock.
    /// </summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> FileTurns = new(StringComparer.Ordinal);

    private readonly string _connectionString;
    private readonly SemaphoreSlim _turn;
    private readonly IInterceptor[] _interceptors;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _batches, _writes;
    private SqliteConnection? _connection;
    private DbContextOptions<SqliteDb>? _contextOptions;
    private ModelSql? _sql;

    /// <summary>Transactions this queue has run, and the writes they carried (the ratio is the grouping achieved).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public long Writes => Interlocked.Read(ref _writes);

    public SqliteStoreWriter(string connectionString, IEnumerable<IInterceptor>? interceptors = null)
    {
        _connectionString = connectionString;
        _turn = FileTurns.GetOrAdd(FileOf(connectionString), _ => new SemaphoreSlim(1, 1));
        _interceptors = interceptors?.ToArray() ?? [];
        _writer = Task.Run(WriteLoopAsync);
    }

    public override Task<T> WriteAsync<T>(StoreWork<T> work, CancellationToken ct)
    {
        RefuseNested();
        var item = new Work<T>(work, ct);
        if (!_queue.Writer.TryWrite(item)) throw new ObjectDisposedException(nameof(SqliteStoreWriter));
        return item.Completion;
    }

    /// <summary>The queue already groups writes into one commit: an append is a write of one plain-SQL INSERT.</summary>
    /// <remarks>
    /// An append is one INSERT, which SQLite undoes by itself if it fails (a statement is atomic; an error that ends the
    /// whole transaction fails the batch's COMMIT): it needs no SAVEPOINT of its own, which saves two of its three statements.
    /// </remarks>
    protected override Task AppendCoreAsync(Audit.AuditEvent e, CancellationToken ct)
    {
        RefuseNested();
        var item = new Work<bool>(async (tx, token) => { await AuditAppend.AppendAsync(tx, e, token); return true; }, ct, oneStatement: true);
        if (!_queue.Writer.TryWrite(item)) throw new ObjectDisposedException(nameof(SqliteStoreWriter));
        return item.Completion;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var batch = new List<Work>(MaxBatch);
            while (await _queue.Reader.WaitToReadAsync())
            {
                // After a commit of several appends and nothing else (credential reads under load), first go behind
                // the work queued on the thread pool: requests there are about to append too, and each that joins
                // this batch is one fsync fewer (6 -> 14 appends a commit, 4-13% less CPU per read; bench/README.md).
                // Appends cost the writer little, so the commit sets their pace. Not after other writes: then the writer
                // itself is what requests wait for, and holding it back behind the pool's queue cost installs 15-35%.
                if (batch.Count > 1 && batch.TrueForAll(w => w.OneStatement)) await Task.Yield();
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
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _writes, batch.Count);
        SwitchboardMetrics.GroupCommitBatchSize.Record(batch.Count);
        await _turn.WaitAsync();
        try
        {
            var connection = await WriterConnectionAsync();
            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the file's write lock is taken before the first read.
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
            foreach (var item in batch)
            {
                if (item.OneStatement)
                {
                    var single = new StoreTransaction(connection, tx, _sql!, () => ContextFor(tx));
                    try { await item.RunAsync(single); }
                    catch (Exception e) { item.Fail(e); }
                    finally { if (single.CreatedDb is { } db) await db.DisposeAsync(); }
                    continue;
                }
                await ExecuteAsync(connection, tx, "SAVEPOINT w;");
                var store = new StoreTransaction(connection, tx, _sql!, () => ContextFor(tx));
                try
                {
                    await item.RunAsync(store);
                    if (store.RolledBack) await ExecuteAsync(connection, tx, "ROLLBACK TO w;");
                    await ExecuteAsync(connection, tx, "RELEASE w;");
                }
                catch (Exception e)
                {
                    item.Fail(e);
                    // If SQLite ended the whole transaction (I/O error, disk full) this throws: the batch fails below.
                    await ExecuteAsync(connection, tx, "ROLLBACK TO w;");
                    await ExecuteAsync(connection, tx, "RELEASE w;");
                }
                finally
                {
                    if (store.CreatedDb is { } db) await db.DisposeAsync();
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
            _turn.Release();
        }
    }

    private static string FileOf(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return source is "" or ":memory:" || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? connectionString : Path.GetFullPath(source);
    }

    /// <summary>An EF Core context on the writer's connection, inside the batch's transaction (and so inside the write's savepoint).</summary>
    private SqliteDb ContextFor(SqliteTransaction tx)
    {
        var db = new SqliteDb(_contextOptions!) { IsWriterContext = true };
        db.Database.UseTransaction(tx);
        return db;
    }

    /// <summary>The writer's own connection, kept open so its statements stay prepared (<see cref="ReusableCommands"/>).</summary>
    private async Task<SqliteConnection> WriterConnectionAsync()
    {
        if (_connection is { State: System.Data.ConnectionState.Open }) return _connection;
        await CloseWriterConnectionAsync();
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        ReusableCommands.KeepFor(connection);
        _contextOptions = new DbContextOptionsBuilder<SqliteDb>().UseSqlite(connection).AddInterceptors(_interceptors).Options;
        if (_sql is null)
            await using (var model = new SqliteDb(_contextOptions)) _sql = ModelSql.For(model);
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
        /// <summary>The work is one statement that changes nothing if it fails: it runs without a savepoint.</summary>
        public abstract bool OneStatement { get; }
        public abstract Task RunAsync(StoreTransaction tx);
        public abstract void Complete();
        public abstract void Fail(Exception e);
        public abstract void Cancel();
    }

    private sealed class Work<T>(StoreWork<T> work, CancellationToken ct, bool oneStatement = false) : Work
    {
        public override bool OneStatement => oneStatement;

        // Continuations go to the thread pool: the writer never runs a request's code after its write.
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private StoreTransaction? _tx;
        private bool _failed;

        public Task<T> Completion => _done.Task;

        public override bool Cancelled => ct.IsCancellationRequested;

        // Not cancellable once started: the work shares its transaction with others.
        public override async Task RunAsync(StoreTransaction tx)
        {
            _tx = tx;
            _result = await StoreWriter.RunAsync(work, tx, CancellationToken.None);
        }

        public override void Complete()
        {
            if (_failed) return;
            _tx?.Committed();
            _done.TrySetResult(_result);
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
