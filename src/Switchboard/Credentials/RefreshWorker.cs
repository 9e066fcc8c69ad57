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

    /// <summary>Refreshes the tokens due now; returns how many were due.</summary>
    public async Task<int> RefreshDueAsync(CancellationToken ct)
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
            .OrderBy(c => c.ExpiresAt).Take(100)
            .Select(c => new { c.AccountId, c.Id })
            .ToListAsync(ct);
        foreach (var c in due)
            await refresher.GetAsync(db, AuditActor.System, c.AccountId, c.Id, o.ProactiveMargin, TokenRefresher.Trigger.Worker, ct);
        return due.Count;
    }
}
