using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Jobs;
using Switchboard.Store;

namespace Switchboard.Health;

/// <summary>
/// Re-verifies active integrations every Interval. Each check is claimed by a compare-and-set on the
/// integration's health_check_due_at (moved one interval ahead), so of N nodes polling the same database
/// exactly one runs it. A node that dies mid-check leaves the next check to the next interval.
/// </summary>
public sealed class HealthMonitor(
    IServiceScopeFactory scopes, CredentialChecker checker, IntegrationStore store, IOptions<HealthOptions> options, ILogger<HealthMonitor> logger) : PeriodicJob(logger)
{
    protected override bool Enabled => options.Value.Enabled;
    protected override TimeSpan Interval => Max(options.Value.PollInterval, TimeSpan.FromMilliseconds(50));
    protected override Task RunOnceAsync(CancellationToken ct) => RunDueChecksAsync(DateTime.UtcNow, ct);

    /// <summary>Claims and runs the checks due at <paramref name="now"/>; returns how many this node ran.</summary>
    public async Task<int> RunDueChecksAsync(DateTime now, CancellationToken ct)
    {
        var interval = Max(options.Value.Interval, TimeSpan.FromSeconds(1));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        // A system job across accounts: the scan has no account predicate; every claim and write below has one.
        var due = await db.Integrations.AsNoTracking()
            .Where(i => i.Status == IntegrationStatus.Active && (i.HealthCheckDueAt == null || i.HealthCheckDueAt <= now))
            .OrderBy(i => i.HealthCheckDueAt)
            .Take(options.Value.BatchSize)
            .Select(i => new { i.Id, i.AccountId, i.HealthCheckDueAt })
            .ToListAsync(ct);

        var ran = 0;
        foreach (var d in due)
        {
            var next = now + interval;
            if (!await store.ClaimHealthCheckAsync(d.AccountId, d.Id, d.HealthCheckDueAt, next, ct)) continue; // another node took it
            await checker.CheckAsync(d.AccountId, d.Id, scheduleNext: false, AuditActor.System, ct);
            ran++;
        }
        return ran;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
