using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Jobs;
using Switchboard.Store;

namespace Switchboard.Idempotency;

/// <summary>
/// Deletes expired Idempotency-Key rows. One node per interval does it (database lease); expired rows met
/// before then are also deleted lazily when their key is used again.
/// </summary>
public sealed class IdempotencySweeper(
    IServiceScopeFactory scopes, IStoreWriter writer, IOptions<IdempotencyOptions> options, NodeIdentity node, ILogger<IdempotencySweeper> logger) : PeriodicJob(logger)
{
    public const string LeaseName = "idempotency-sweep";

    protected override bool Enabled => options.Value.Enabled;
    protected override TimeSpan Interval => options.Value.SweepInterval > TimeSpan.FromSeconds(1) ? options.Value.SweepInterval : TimeSpan.FromSeconds(1);
    protected override Task RunOnceAsync(CancellationToken ct) => SweepAsync(DateTime.UtcNow, ct);

    /// <summary>Returns how many rows were deleted, or -1 when another node holds the lease.</summary>
    public async Task<int> SweepAsync(DateTime now, CancellationToken ct)
    {
        // Held a little less than the interval, so the next tick (on any node) finds it free.
        if (!await JobLeases.TryAcquireAsync(writer, LeaseName, node.Id, options.Value.SweepInterval * 0.9, ct)) return -1;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var accounts = await db.Set<IdempotencyRecord>().AsNoTracking()
            .Where(r => r.ExpiresAt <= now).Select(r => r.AccountId).Distinct().Take(1000).ToListAsync(ct);
        var deleted = 0;
        foreach (var accountId in accounts)
            deleted += await writer.WriteAsync((tx, token) => tx.Db.Set<IdempotencyRecord>()
                .Where(r => r.AccountId == accountId && r.ExpiresAt <= now)
                .ExecuteDeleteAsync(token), ct);
        return deleted;
    }
}
