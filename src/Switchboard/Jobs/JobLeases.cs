using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Jobs;

/// <summary>Cluster-wide leases on background jobs (see <see cref="JobLease"/>).</summary>
public static class JobLeases
{
    /// <summary>Takes (or renews) the lease if it is free, expired or already ours; compare-and-set in the database.</summary>
    public static async Task<bool> TryAcquireAsync(SwitchboardDb db, string name, string owner, TimeSpan duration, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + duration;
        var taken = await db.Set<JobLease>()
            .Where(l => l.Name == name && (l.Until <= now || l.Owner == owner))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Owner, owner).SetProperty(l => l.Until, until), ct);
        if (taken == 1) return true;
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO job_leases ("Name", "Owner", "Until") VALUES ({name}, {owner}, {until}) ON CONFLICT ("Name") DO NOTHING""", ct);
        return inserted == 1;
    }
}
