using System.Data.Common;
using Microsoft.Data.Sqlite;
using Switchboard.Data;

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

    /// <summary>Holds the file's write gate (as an EF writer of this process would) while writes queue up behind it.</summary>
    private async Task<List<Task<int>>> QueueBehindTheGateAsync(SqliteGroupCommit commits, IEnumerable<TransactionWork<int>> works, CancellationToken ct = default)
    {
        var gate = SqliteDb.WriteGateFor(ConnectionString);
        await gate.WaitAsync();
        try
        {
            var tasks = works.Select(w => commits.RunAsync(null!, w, ct)).ToList();
            await Task.Delay(200);
            Assert.All(tasks, t => Assert.False(t.IsCompleted));
            return tasks;
        }
        finally
        {
            gate.Release();
        }
    }

    [Fact]
    public async Task Writes_queued_together_share_commits_and_are_visible_once_their_task_completes()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        var tasks = await QueueBehindTheGateAsync(commits, Enumerable.Range(1, 40).Select(n => Insert(n)));

        foreach (var task in tasks)
        {
            var n = await task;
            Assert.Contains(n, await StoredAsync());
        }
        Assert.Equal(Enumerable.Range(1, 40).Select(n => (long)n), await StoredAsync());
        Assert.Equal(40, commits.Writes);
        // One batch may have started before the rest were queued; everything else waited and went in one more.
        Assert.InRange(commits.Batches, 1, 2);
    }

    [Fact]
    public async Task A_failing_write_is_undone_alone_and_its_caller_gets_the_error()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        var tasks = await QueueBehindTheGateAsync(commits, Enumerable.Range(1, 10).Select(n => Insert(n, thenThrow: n == 5)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[4]);
        Assert.Contains("write 5", error.Message);
        foreach (var task in tasks.Where((_, i) => i != 4)) await task;
        Assert.Equal(new long[] { 1, 2, 3, 4, 6, 7, 8, 9, 10 }, await StoredAsync());
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
        var tasks = await QueueBehindTheGateAsync(commits, [Insert(1), Insert(2), endsTheTransaction, Insert(4)]);

        foreach (var task in tasks) await Assert.ThrowsAnyAsync<Exception>(() => task);
        Assert.Empty(await StoredAsync());

        // The writer goes on with the next batch.
        Assert.Equal(5, await commits.RunAsync(null!, Insert(5), CancellationToken.None));
        Assert.Equal(new long[] { 5 }, await StoredAsync());
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_while_queued_never_runs()
    {
        await using var commits = new SqliteGroupCommit(ConnectionString);
        using var cancel = new CancellationTokenSource();
        var gate = SqliteDb.WriteGateFor(ConnectionString);
        await gate.WaitAsync();
        Task<int> first, abandoned;
        try
        {
            first = commits.RunAsync(null!, Insert(1), CancellationToken.None);
            await Task.Delay(100); // the writer has taken write 1 and waits for the gate
            abandoned = commits.RunAsync(null!, Insert(2), cancel.Token);
            cancel.Cancel();
        }
        finally
        {
            gate.Release();
        }
        Assert.Equal(1, await first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(new long[] { 1 }, await StoredAsync());
    }
}
