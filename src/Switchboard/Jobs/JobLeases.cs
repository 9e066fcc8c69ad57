using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Jobs;

/// <summary>Cluster-wide leases on background jobs (see <see cref="JobLease"/>).</summary>
public static class JobLeases
{
    /// <summary>Takes (or renews) the lease if it is free, expired or already ours; compare-and-set in the database.</summary>
    public static async Task<bool> TryAcquireAsync(IStoreWriter writer, string name, string owner, TimeSpan duration, CancellationToken ct)
    {
        try
        {
            return await writer.WriteAsync(async (tx, token) =>
            {
                var now = DateTime.UtcNow;
                var until = now + duration;
                var taken = await tx.Db.Set<JobLease>()
                    .Where(l => l.Name == name && (l.Until <= now || l.Owner == owner))
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Owner, owner).SetProperty(l => l.Until, until), token);
                if (taken == 1) return true;
                if (await tx.Db.Set<JobLease>().AnyAsync(l => l.Name == name, token)) return false;
                tx.Db.Add(new JobLease { Name = name, Owner = owner, Until = until });
                await tx.Db.SaveChangesAsync(token);
                return true;
            }, ct);
        }
        // PostgreSQL: another node inserted the first lease row between our check and our insert; it holds the lease.
        catch (DbUpdateException e) when (e.InnerException is System.Data.Common.DbException db && DatabaseErrors.IsUniqueViolation(db))
        {
            return false;
        }
    }
}
