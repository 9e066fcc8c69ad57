using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;

namespace Switchboard.Store;

/// <summary>
/// The one model. Each database provider has its own derived context (and migrations folder),
/// because EF diffs migrations against a per-context snapshot.
/// </summary>
public abstract class SwitchboardDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Integration> Integrations => Set<Integration>();
    public DbSet<IntegrationSecret> IntegrationSecrets => Set<IntegrationSecret>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    /// <summary>
    /// True while the context belongs to a <see cref="StoreWriter"/> (its work's <see cref="StoreTransaction.Db"/>): the
    /// only contexts that write. Every other context (a request's, a job's) only reads.
    /// </summary>
    public bool IsWriterContext { get; internal set; }

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Account>(e =>
        {
            e.ToTable("accounts");
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(200);
        });

        b.Entity<Project>(e =>
        {
            e.ToTable("projects");
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.AccountId).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(200);
            e.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.AccountId, x.Name }).IsUnique();
        });

        b.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.AccountId).HasMaxLength(40);
            e.Property(x => x.ProjectId).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.DisplayPrefix).HasMaxLength(64);
            e.Property(x => x.Scopes).HasMaxLength(500);
            e.HasIndex(x => x.Hash).IsUnique();
            e.HasIndex(x => x.AccountId);
            e.HasIndex(x => x.RevokedAt);
            e.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<Integration>(e =>
        {
            e.ToTable("integrations");
            e.Property(x => x.AccountId).HasMaxLength(40);
            e.Property(x => x.ProjectId).HasMaxLength(40);
            e.Property(x => x.Provider).HasMaxLength(64);
            e.Property(x => x.Status).HasMaxLength(20);
            e.Property(x => x.DisplayName).HasMaxLength(200);
            e.Property(x => x.HealthStatus).HasMaxLength(20);
            e.Property(x => x.ErrorMessage).HasMaxLength(1000);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.AccountId, x.ProjectId, x.Provider }).IsUnique();
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(x => x.Secrets).WithOne().HasForeignKey(x => x.IntegrationId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<IntegrationSecret>(e =>
        {
            e.ToTable(IntegrationSecret.Table);
            e.Property(x => x.AccountId).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.KeyId).HasMaxLength(64);
            e.Property(x => x.Fingerprint).HasMaxLength(64);
            e.HasIndex(x => new { x.IntegrationId, x.Name }).IsUnique();
            e.HasIndex(x => x.KeyId);
        });

        b.Entity<AuditEvent>(e =>
        {
            e.ToTable("audit_events");
            e.Property(x => x.AccountId).HasMaxLength(40);
            e.Property(x => x.ProjectId).HasMaxLength(40);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.Provider).HasMaxLength(64);
            e.Property(x => x.TargetId).HasMaxLength(300);
            e.Property(x => x.ActorType).HasMaxLength(20);
            e.Property(x => x.ActorId).HasMaxLength(40);
            e.Property(x => x.RequestId).HasMaxLength(100);
            e.Property(x => x.ClientIp).HasMaxLength(64);
            e.HasIndex(x => new { x.AccountId, x.CreatedAt, x.Id });
            e.HasIndex(x => new { x.AccountId, x.Action });
        });

        // Features may keep their entities' mapping next to them as IEntityTypeConfiguration<T>.
        b.ApplyConfigurationsFromAssembly(typeof(SwitchboardDb).Assembly);
    }
}
