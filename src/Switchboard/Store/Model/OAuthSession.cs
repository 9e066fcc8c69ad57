using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// One authorization attempt: created with the auth URL, started once (state and PKCE verifier made then),
/// completed once by the callback, which records its outcome. Only hashes of the start token and state are stored.
/// </summary>
public sealed class OAuthSession : IAccountRow
{
    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public Guid IntegrationId { get; init; }
    public Guid ConnectionId { get; init; }
    public required string StartTokenHash { get; init; }
    public string? StateHash { get; set; }
    /// <summary>PKCE code verifier, SecretBox ciphertext.</summary>
    public byte[]? CodeVerifier { get; set; }
    public string? RedirectUri { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>How the flow ended: <see cref="Succeeded"/> or an error code; null while it runs. A reload of a finished flow shows it again.</summary>
    public string? Outcome { get; set; }
    public DateTime CreatedAt { get; init; }

    public const string Succeeded = "success";

    public const string Table = "oauth_sessions";
}

public sealed class OAuthSessionConfiguration : IEntityTypeConfiguration<OAuthSession>
{
    public void Configure(EntityTypeBuilder<OAuthSession> e)
    {
        e.ToTable(OAuthSession.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.StartTokenHash).HasMaxLength(64);
        e.Property(x => x.StateHash).HasMaxLength(64);
        e.Property(x => x.RedirectUri).HasMaxLength(2000);
        e.Property(x => x.Outcome).HasMaxLength(64);
        // The browser legs carry no API key: the start token and the state are the only handles.
        e.HasIndex(x => x.StartTokenHash).IsUnique();
        e.HasIndex(x => x.StateHash).IsUnique();
        e.HasIndex(x => new { x.AccountId, x.ConnectionId });
        e.HasOne<OAuthConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
    }
}
