using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// A single-use capability to install one provider into one project from a browser, without an API key.
/// The URL carries a random 256-bit token; only its SHA-256 is stored, so a database leak yields no usable link.
/// Use is recorded with a compare-and-set on <see cref="UsedAt"/>, so it holds across nodes.
/// </summary>
public sealed class InstallLink
{
    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string Provider { get; init; }
    /// <summary>The API key id that asked for the link, or "admin".</summary>
    public required string CreatedBy { get; init; }
    /// <summary>Anti-forgery value the page embeds and the form must send back.</summary>
    public required string FormNonce { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? UsedAt { get; set; }
}

public sealed class InstallLinkConfiguration : IEntityTypeConfiguration<InstallLink>
{
    public void Configure(EntityTypeBuilder<InstallLink> e)
    {
        e.ToTable("install_links");
        e.Property(x => x.Id).HasMaxLength(64);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.Provider).HasMaxLength(64);
        e.Property(x => x.CreatedBy).HasMaxLength(40);
        e.Property(x => x.FormNonce).HasMaxLength(64);
        e.HasIndex(x => new { x.AccountId, x.ExpiresAt });
        e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
