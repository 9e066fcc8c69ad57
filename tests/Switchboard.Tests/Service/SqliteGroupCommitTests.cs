using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tests.Service;

/// <summary>
/// SQLite's group commit (Data/GroupCommit.cs), on a real database file: writes queued together share one transaction,
/// each in its own savepoint, and a caller hears back only once the COMMIT is done. SQLite only by nature.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sb-groupcommit-{Guid.NewGuid():N}.db");
    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = _file, DefaultTimeout = 10 }.ConnectionString;

    public async Task InitializeAsync()
    {
        await using var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER NOT NULL PRIMARY KEY);";
        await cmd.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" }) File.Delete(f);
        return Task.CompletedTask;
    }

    private static TransactionWork<int> Insert(int n, bool thenThrow = false) => async (connection, tx, ct) =>
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT INTO t (n) VALUES ({n});";
        await cmd.ExecuteNonQueryAsync(ct);
        if (thenThrow) throw new InvalidOperationException($"write {n} fails after its insert");
        return n;
    };

    private async Task<List<long>> StoredAsync()
    {
        // A separate connection: what is committed, not what the writer's transaction sees.
        await using var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT n FROM t ORDER BY n";
        var result = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) result.Add(r.GetInt64(0));
        return result;
    }

    /// <summary>
    /// Queues <paramref name="works"/> while the writer is busy inside a first write that waits for a signal: they all wait
    /// in the queue, so the writer takes them as one batch once that first write is let go.
    /// </summary>
    private int _firstWrites;

    private async Task<List<Task<int>>> QueueBehindABusyWriterAsync(SqliteGroupCommit commits, IEnumerable<TransactionWork<int>> works,
        CancellationToken ct = default, Action? whileQueued = null)
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var letGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var n = 1000 + _firstWrites++;
        var first = commits.RunAsync<int>(null!, async (connection, tx, token) =>
        {
            running.SetResult();
            await letGo.Task;
            return await Insert(n)(connection, tx, token);
        }, CancellationToken.None);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var tasks = works.Select(w => commits.RunAsync(null!, w, ct)).ToList();
        whileQueued?.Invoke();
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        letGo.SetResult();
        Assert.Equal(n, await first);
        return tasks;
    }

    private async Task<List<long>> StoredWritesAsync() => (await StoredAsync()).Where(n => n < 1000).ToList();

    [Fact]
    public async Task Writes_queued_together_share_commits_and_are_visible_once_their_task_completes()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        var tasks = await QueueBehindABusyWriterAsync(commits, Enumerable.Range(1, 40).Select(n => Insert(n)));

        foreach (var task in tasks)
        {
            var n = await task;
            Assert.Contains(n, await StoredAsync());
        }
        Assert.Equal(Enumerable.Range(1, 40).Select(n => (long)n), await StoredWritesAsync());
        // The first write's batch, then all forty that waited behind it in one transaction.
        Assert.Equal(41, commits.Writes);
        Assert.Equal(2, commits.Batches);
    }

    [Fact]
    public async Task A_failing_write_is_undone_alone_and_its_caller_gets_the_error()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        var tasks = await QueueBehindABusyWriterAsync(commits, Enumerable.Range(1, 10).Select(n => Insert(n, thenThrow: n == 5)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[4]);
        Assert.Contains("write 5", error.Message);
        foreach (var task in tasks.Where((_, i) => i != 4)) await task;
        Assert.Equal(new long[] { 1, 2, 3, 4, 6, 7, 8, 9, 10 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_batch_whose_transaction_ends_under_it_reports_every_write_failed_and_keeps_none()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        // Write 3 ends the transaction behind the writer's back, as SQLite itself does on some I/O errors: writes 1 and 2
        // went with it and 4 cannot go on, so no caller of the batch may be told its write is stored.
        TransactionWork<int> endsTheTransaction = async (connection, tx, ct) =>
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO t (n) VALUES (3); ROLLBACK;";
            await cmd.ExecuteNonQueryAsync(ct);
            return 3;
        };
        var tasks = await QueueBehindABusyWriterAsync(commits, [Insert(1), Insert(2), endsTheTransaction, Insert(4)]);

        foreach (var task in tasks) await Assert.ThrowsAnyAsync<Exception>(() => task);
        Assert.Empty(await StoredWritesAsync());

        // The writer goes on with the next batch.
        Assert.Equal(5, await commits.RunAsync(null!, Insert(5), CancellationToken.None));
        Assert.Equal(new long[] { 5 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_while_queued_never_runs()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        using var cancel = new CancellationTokenSource();
        var abandoned = (await QueueBehindABusyWriterAsync(commits, [Insert(2)], cancel.Token, whileQueued: cancel.Cancel)).Single();
        var kept = await QueueBehindABusyWriterAsync(commits, [Insert(3)]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(3, await kept.Single());
        Assert.Equal(new long[] { 3 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_context_inside_its_own_transaction_may_not_queue_a_write()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<SqliteDb>().UseSqlite(ConnectionString).Options;
        await using var db = new SqliteDb(options);
        await using var tx = await db.Database.BeginTransactionAsync();
        // Its transaction holds the file lock the writer needs: waiting on the queue would wait on itself.
        await Assert.ThrowsAsync<InvalidOperationException>(() => commits.RunAsync(db, Insert(1), CancellationToken.None));
    }
}
