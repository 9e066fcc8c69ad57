using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Jobs;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>
/// Refreshes end-user tokens before they expire. Every node may run it: each refresh goes through the same lease
/// as a credential read, so a token is refreshed once whichever node (or reader) gets there first.
/// The scan is across accounts by design; each refresh then acts within the row's account. A failed scan is logged by
/// exception type only (<see cref="PeriodicJob"/>).
/// </summary>
public sealed class RefreshWorker(IServiceScopeFactory scopes, TokenRefresher refresher, IOptions<OAuthOptions> options,
    ILogger<RefreshWorker> logger) : PeriodicJob(logger)
{
    protected override bool Enabled => options.Value.WorkerEnabled;
    protected override TimeSpan Interval => options.Value.WorkerInterval;
    protected override Task RunOnceAsync(CancellationToken ct) => RefreshDueAsync(ct);

    /// <summary>
    /// Refreshes the tokens due now, <see cref="OAuthOptions.WorkerConcurrency"/> at a time, scanning again at once after
    /// a full batch (a storm of tokens expiring together is drained, not taken 100 per interval); returns how many were
    /// due. Another node's leased rows drop out of the next scan.
    /// </summary>
    public async Task<int> RefreshDueAsync(CancellationToken ct)
    {
        var o = options.Value;
        var batch = Math.Max(1, o.WorkerBatchSize);
        var total = 0;
        // A row this run has already tried and that is still due (encryption unavailable, say) waits for the next run.
        var tried = new HashSet<Guid>();
        while (!ct.IsCancellationRequested)
        {
            var scanned = await DueAsync(batch, ct);
            var due = scanned.Where(c => tried.Add(c.Id)).ToList();
            if (due.Count == 0) break;
            total += due.Count;
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.WorkerConcurrency), CancellationToken = ct },
                async (c, token) =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
                    await refresher.GetAsync(db, AuditActor.System, c.AccountId, c.Id, o.ProactiveMargin, TokenRefresher.Trigger.Worker, token);
                });
            if (scanned.Count < batch) break;
        }
        return total;
    }

    private async Task<List<(string AccountId, Guid Id)>> DueAsync(int batch, CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var now = DateTime.UtcNow;
        var horizon = now + o.ProactiveMargin;
        var due = await db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.Status == ConnectionStatus.Active && c.UserId != "" && c.RefreshToken != null
                        && c.ExpiresAt != null && c.ExpiresAt < horizon
                        && (c.NextAttemptAt == null || c.NextAttemptAt <= now)
                        && (c.LeaseUntil == null || c.LeaseUntil < now))
            .OrderBy(c => c.ExpiresAt).Take(batch)
            .Select(c => new { c.AccountId, c.Id })
            .ToListAsync(ct);
        return due.Select(c => (c.AccountId, c.Id)).ToList();
    }
}
