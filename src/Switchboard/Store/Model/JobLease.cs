using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// A named lease on a cluster-wide background job (e.g. the idempotency sweep), so that of N nodes
/// sharing one database only the holder runs it. System jobs span accounts, so this table has no AccountId.
/// </summary>
public sealed class JobLease
{
    public required string Name { get; init; }
    public required string Owner { get; set; }
    public DateTime Until { get; set; }
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
