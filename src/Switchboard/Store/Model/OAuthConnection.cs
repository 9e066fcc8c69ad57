using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// One end user's connection to an installed integration's provider (or, with an empty UserId, the integration's own
/// machine token for client-credentials / service-account / assume-role). Tokens are SecretBox ciphertexts.
/// The lease columns coordinate refreshes between nodes; Generation is bumped on every token change (compare-and-set).
/// </summary>
public sealed class OAuthConnection : IAccountRow
{
    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public Guid IntegrationId { get; init; }
    /// <summary>The tenant's end-user id; empty for the integration's machine token.</summary>
    public required string UserId { get; init; }
    public string Status { get; set; } = ConnectionStatus.Pending;
    public string? Scopes { get; set; }
    public string? TokenType { get; set; }
    public byte[]? AccessToken { get; set; }
    public byte[]? RefreshToken { get; set; }
    /// <summary>
    /// An end user's own credential for an API-key or basic provider (entered on the connect page): the secrets as a
    /// JSON object, SecretBox ciphertext; null for OAuth connections.
    /// </summary>
    public byte[]? Credential { get; set; }
    /// <summary>The end user's plaintext params for that credential, a JSON object.</summary>
    public string? ParamsJson { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public int Generation { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public int FailureCount { get; set; }
    public DateTime? FirstFailureAt { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    public DateTime? ConnectedAt { get; set; }
    public DateTime? RefreshedAt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    public const string Table = "oauth_connections";
}

public static class ConnectionStatus
{
    public const string Pending = "pending", Active = "active", Expired = "expired", Error = "error", Revoked = "revoked";
}

public sealed class OAuthConnectionConfiguration : IEntityTypeConfiguration<OAuthConnection>
{
    public void Configure(EntityTypeBuilder<OAuthConnection> e)
    {
        e.ToTable(OAuthConnection.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.UserId).HasMaxLength(256);
        e.Property(x => x.Status).HasMaxLength(20);
        e.Property(x => x.Scopes).HasMaxLength(2000);
        e.Property(x => x.TokenType).HasMaxLength(40);
        e.Property(x => x.LeaseOwner).HasMaxLength(80);
        e.Property(x => x.LastError).HasMaxLength(500);
        e.Property(x => x.ParamsJson).HasMaxLength(20000);
        e.HasIndex(x => new { x.AccountId, x.IntegrationId, x.UserId }).IsUnique();
        // The refresh worker scans across accounts for tokens that expire soon.
        e.HasIndex(x => new { x.Status, x.ExpiresAt });
        e.HasOne<Integration>().WithMany().HasForeignKey(x => x.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
