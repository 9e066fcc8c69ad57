using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Data;

namespace Switchboard.Leasing;

/// <summary>
/// A named lease on a cluster-wide background job (e.g. the idempotency sweep), so that of N nodes
/// sharing one database only the holder runs it. System jobs span accounts, so this table has no AccountId.
/// </summary>
public sealed class JobLease
{
    public required string Name { get; init; }
    public required string Owner { get; set; }
    public DateTime Until { get; set; }

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

/// <summary>This process's name in lease rows: unique per host, also when several hosts share one process (tests).</summary>
public sealed class NodeIdentity
{
    public string Id { get; } = $"{Environment.MachineName[..Math.Min(40, Environment.MachineName.Length)]}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}

public sealed class JobLeaseConfiguration : IEntityTypeConfiguration<JobLease>
{
    public void Configure(EntityTypeBuilder<JobLease> e)
    {
        e.ToTable("job_leases");
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Owner).HasMaxLength(100);
    }
}
