using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Telemetry;

namespace Switchboard.Store;

/// <summary>
/// Standalone audit appends on PostgreSQL, grouped: whatever events are waiting go out as one multi-statement
/// command, which PostgreSQL runs as one implicit transaction (one round trip, one commit, one WAL flush for all of
/// them), and every caller's task completes after that commit. A few such commits run at once, so a batch never waits
/// for another one to finish. A batch that fails is retried one event at a time, so one bad event fails alone.
/// Measured reason for this part (bench/run.sh --db postgres, reads section): an append in a transaction of its own
/// (BEGIN, INSERT, COMMIT) was most of the database time of a credential read.
/// </summary>
internal sealed class PostgresAppends : IAsyncDisposable
{
    /// <summary>At most this many events per command (13 parameters each, far below PostgreSQL's 65,535).</summary>
    public const int MaxBatch = 256;
    /// <summary>Commits in flight at once.</summary>
    public const int Lanes = 4;

    private sealed record Pending(AuditEvent Event, CancellationToken Ct)
    {
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly IDbContextFactory<PostgresDb> _contexts;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly Task[] _lanes;

    public PostgresAppends(IDbContextFactory<PostgresDb> contexts)
    {
        _contexts = contexts;
        _lanes = Enumerable.Range(0, Lanes).Select(_ => Task.Run(LaneAsync)).ToArray();
    }

    public Task AppendAsync(AuditEvent e, CancellationToken ct)
    {
        var item = new Pending(e, ct);
        if (!_queue.Writer.TryWrite(item)) throw new ObjectDisposedException(nameof(PostgresAppends));
        return item.Done.Task;
    }

    private async Task LaneAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                if (item.Ct.IsCancellationRequested) item.Done.TrySetCanceled(item.Ct);
                else batch.Add(item);
            }
            if (batch.Count == 0) continue;
            SwitchboardMetrics.GroupCommitBatchSize.Record(batch.Count);
            try
            {
                await InsertAsync(batch);
                foreach (var item in batch) item.Done.TrySetResult();
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var item in batch) await InsertAloneAsync(item);
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task InsertAloneAsync(Pending item)
    {
        try
        {
            await InsertAsync([item]);
            item.Done.TrySetResult();
        }
        catch (Exception e)
        {
            item.Done.TrySetException(e);
        }
    }

    /// <summary>Not cancellable: once sent, the caller must learn whether it was stored.</summary>
    private async Task InsertAsync(List<Pending> batch)
    {
        await using var db = await _contexts.CreateDbContextAsync();
        var sql = ModelSql.For(db);
        await db.Database.OpenConnectionAsync();
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        var text = new StringBuilder(256 * batch.Count);
        for (var i = 0; i < batch.Count; i++) sql.AppendInsert(text, cmd, batch[i].Event, "e" + i + "_");
        cmd.CommandText = text.ToString();
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_lanes);
    }
}
