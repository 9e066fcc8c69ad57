using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Jobs;
using Switchboard.Store;

namespace Switchboard.Mcp;

/// <summary>
/// Re-checks enabled MCP connections every CheckInterval. Each check is claimed by a compare-and-set on the
/// connection's check_due_at (moved one interval ahead), so of N nodes polling the same database exactly one runs it.
/// </summary>
public sealed class McpConnectionMonitor(
    IServiceScopeFactory scopes, McpConnections connections, IOptions<McpOptions> options, ILogger<McpConnectionMonitor> logger) : PeriodicJob(logger)
{
    protected override bool Enabled => options.Value.MonitorEnabled;
    protected override TimeSpan Interval => options.Value.PollInterval > TimeSpan.FromMilliseconds(50) ? options.Value.PollInterval : TimeSpan.FromMilliseconds(50);
    protected override Task RunOnceAsync(CancellationToken ct) => RunDueChecksAsync(DateTime.UtcNow, ct);

    /// <summary>Claims and runs the checks due at <paramref name="now"/>; returns how many this node ran.</summary>
    public async Task<int> RunDueChecksAsync(DateTime now, CancellationToken ct)
    {
        var interval = options.Value.CheckInterval > TimeSpan.FromSeconds(1) ? options.Value.CheckInterval : TimeSpan.FromSeconds(1);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        // A system job across accounts: the scan has no account predicate; every claim and write below has one.
        var due = await db.Set<McpConnection>().AsNoTracking()
            .Where(c => c.Enabled && (c.CheckDueAt == null || c.CheckDueAt <= now))
            .OrderBy(c => c.CheckDueAt)
            .Take(options.Value.BatchSize)
            .ToListAsync(ct);
        var ran = 0;
        foreach (var c in due)
        {
            if (!await connections.ClaimCheckAsync(c.AccountId, c.Id, c.CheckDueAt, now + interval, ct)) continue; // another node took it
            await connections.CheckAsync(c, AuditActor.System, ct, claimed: true);
            ran++;
        }
        return ran;
    }
}
