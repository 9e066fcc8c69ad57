using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// A connect session: a short-lived capability an application hands to ONE of its end users to connect integrations
/// of one project from a browser (the connect page). Only the token's SHA-256 is stored. It is used up once a
/// connection completes (<see cref="CompletedAt"/>, a compare-and-set); a failed or abandoned attempt leaves it usable.
/// An OAuth attempt started from the page comes back through a return handle (its hash here) that shows how the
/// attempt (<see cref="OAuthSessionId"/>) ended.
/// </summary>
public sealed class ConnectSession : IAccountRow
{
    public Guid Id { get; init; }
    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string TokenHash { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string EndUserId { get; init; }
    public string? EndUserEmail { get; init; }
    public string? EndUserDisplayName { get; init; }
    /// <summary>The provider names the page may offer, as a JSON array; null offers every installed integration.</summary>
    public string? IntegrationsJson { get; init; }
    public string? RedirectUri { get; init; }
    /// <summary>The origins the result may be posted to (and that may frame the page), as a JSON array; null: none.</summary>
    public string? AllowedOriginsJson { get; init; }
    /// <summary>Anti-forgery value the page embeds and its forms must send back.</summary>
    public required string FormNonce { get; init; }
    /// <summary>The API key id that created the session, or "admin".</summary>
    public required string CreatedBy { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>The provider of the connection that completed the session.</summary>
    public string? CompletedIntegration { get; set; }
    public string? ReturnHandleHash { get; set; }
    public Guid? OAuthSessionId { get; set; }
    public string? OAuthIntegration { get; set; }

    public const string Table = "connect_sessions";
}

public sealed class ConnectSessionConfiguration : IEntityTypeConfiguration<ConnectSession>
{
    public void Configure(EntityTypeBuilder<ConnectSession> e)
    {
        e.ToTable(ConnectSession.Table);
        e.Property(x => x.TokenHash).HasMaxLength(64);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.EndUserId).HasMaxLength(256);
        e.Property(x => x.EndUserEmail).HasMaxLength(320);
        e.Property(x => x.EndUserDisplayName).HasMaxLength(200);
        e.Property(x => x.IntegrationsJson).HasMaxLength(4000);
        e.Property(x => x.RedirectUri).HasMaxLength(2000);
        e.Property(x => x.AllowedOriginsJson).HasMaxLength(7000);
        e.Property(x => x.FormNonce).HasMaxLength(64);
        e.Property(x => x.CreatedBy).HasMaxLength(40);
        e.Property(x => x.CompletedIntegration).HasMaxLength(64);
        e.Property(x => x.ReturnHandleHash).HasMaxLength(64);
        e.Property(x => x.OAuthIntegration).HasMaxLength(64);
        // The page carries no API key: the token (and the return handle) are the only handles.
        e.HasIndex(x => x.TokenHash).IsUnique();
        e.HasIndex(x => x.ReturnHandleHash).IsUnique();
        e.HasIndex(x => new { x.AccountId, x.ExpiresAt });
        e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
