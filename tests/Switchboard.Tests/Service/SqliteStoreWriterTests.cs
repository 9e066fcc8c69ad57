using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tests.Service;

/// <summary>
/// SQLite's one writer (Store/SqliteStoreWriter.cs), on a real database file: writes queued together share one transaction,
/// each in its own savepoint, and a caller hears back only once the COMMIT is done. SQLite only by nature.
/// </summary>
public sealed class SqliteStoreWriterTests : IAsyncLifetime
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

    private static StoreWork<int> Insert(int n, bool thenThrow = false) => async (tx, ct) =>
    {
        await using var cmd = tx.Connection.CreateCommand();
        cmd.Transaction = tx.Transaction;
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

    private async Task<List<Task<int>>> QueueBehindABusyWriterAsync(SqliteStoreWriter commits, IEnumerable<StoreWork<int>> works,
        CancellationToken ct = default, Action? whileQueued = null)
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var letGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var n = 1000 + _firstWrites++;
        var first = commits.WriteAsync<int>(async (tx, token) =>
        {
            running.SetResult();
            await letGo.Task;
            return await Insert(n)(tx, token);
        }, CancellationToken.None);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var tasks = works.Select(w => commits.WriteAsync(w, ct)).ToList();
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
        await using var commits = new SqliteStoreWriter(ConnectionString);
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
        await using var commits = new SqliteStoreWriter(ConnectionString);
        var tasks = await QueueBehindABusyWriterAsync(commits, Enumerable.Range(1, 10).Select(n => Insert(n, thenThrow: n == 5)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[4]);
        Assert.Contains("write 5", error.Message);
        foreach (var task in tasks.Where((_, i) => i != 4)) await task;
        Assert.Equal(new long[] { 1, 2, 3, 4, 6, 7, 8, 9, 10 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_batch_whose_transaction_ends_under_it_reports_every_write_failed_and_keeps_none()
    {
        await using var commits = new SqliteStoreWriter(ConnectionString);
        // Write 3 ends the transaction behind the writer's back, as SQLite itself does on some I/O errors: writes 1 and 2
        // went with it and 4 cannot go on, so no caller of the batch may be told its write is stored.
        StoreWork<int> endsTheTransaction = async (tx, ct) =>
        {
            await using var cmd = tx.Connection.CreateCommand();
            cmd.Transaction = tx.Transaction;
            cmd.CommandText = "INSERT INTO t (n) VALUES (3); ROLLBACK;";
            await cmd.ExecuteNonQueryAsync(ct);
            return 3;
        };
        var tasks = await QueueBehindABusyWriterAsync(commits, [Insert(1), Insert(2), endsTheTransaction, Insert(4)]);

        foreach (var task in tasks) await Assert.ThrowsAnyAsync<Exception>(() => task);
        Assert.Empty(await StoredWritesAsync());

        // The writer goes on with the next batch.
        Assert.Equal(5, await commits.WriteAsync(Insert(5), CancellationToken.None));
        Assert.Equal(new long[] { 5 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_while_queued_never_runs()
    {
        await using var commits = new SqliteStoreWriter(ConnectionString);
        using var cancel = new CancellationTokenSource();
        var abandoned = (await QueueBehindABusyWriterAsync(commits, [Insert(2)], cancel.Token, whileQueued: cancel.Cancel)).Single();
        var kept = await QueueBehindABusyWriterAsync(commits, [Insert(3)]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(3, await kept.Single());
        Assert.Equal(new long[] { 3 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task A_write_may_not_wait_for_another_write_from_inside_it()
    {
        await using var commits = new SqliteStoreWriter(ConnectionString);
        // The inner write would queue behind the outer one, which waits for it: refused at once, and the outer write fails alone.
        var nested = commits.WriteAsync<int>(async (tx, ct) => await commits.WriteAsync(Insert(1), ct), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => nested.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, await commits.WriteAsync(Insert(2), CancellationToken.None));
        Assert.Equal(new long[] { 2 }, await StoredWritesAsync());
    }

    [Fact]
    public async Task Entity_framework_work_shares_the_batch_and_a_rolled_back_work_keeps_nothing_but_answers()
    {
        await using var commits = new SqliteStoreWriter(ConnectionString);
        var tasks = await QueueBehindABusyWriterAsync(commits,
        [
            Insert(1),
            // EF Core on the writer's own connection and transaction, inside its savepoint.
            async (tx, ct) => await tx.Db.Database.ExecuteSqlRawAsync("INSERT INTO t (n) VALUES (2);", ct) + 1,
            async (tx, ct) =>
            {
                await Insert(3)(tx, ct);
                tx.Rollback();
                return 3;
            },
            Insert(4),
        ]);
        Assert.Equal(new[] { 1, 2, 3, 4 }, await Task.WhenAll(tasks));
        Assert.Equal(new long[] { 1, 2, 4 }, await StoredWritesAsync());
        Assert.Equal(2, commits.Batches);
    }
}
