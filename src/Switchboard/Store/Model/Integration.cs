using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Http;

namespace Switchboard.Store;

/// <summary>
/// One provider installed (or once installed) in one project. Providers never installed have no row;
/// their catalog entry is shown as "available".
/// </summary>
public sealed class Integration
{
    /// <summary>Deterministic per (project, provider): a name-based UUID (Catalog/IntegrationIds.cs).</summary>
    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string Provider { get; init; }
    public string Status { get; set; } = IntegrationStatus.Available;
    public DateTime? InstalledAt { get; set; }
    /// <summary>Plaintext params as a JSON object.</summary>
    public string ParamsJson { get; set; } = "{}";
    public string? DisplayName { get; set; }
    public bool SidebarEnabled { get; set; }
    public string SettingsJson { get; set; } = "{}";
    public string ActionPermissionsJson { get; set; } = "{}";
    public string? HealthStatus { get; set; }
    public DateTime? LastSyncedAt { get; set; }
    public string? ErrorMessage { get; set; }
    /// <summary>Replaces the provider's api_base_url for verification requests (Health/BaseUrlOverride.cs).</summary>
    public string? BaseUrlOverride { get; set; }
    public const int MaxBaseUrlOverrideLength = 500;
    /// <summary>The origins an auth URL's redirectUri may point to, as a JSON array; null allows any (<see cref="AllowedRedirectOrigins"/>).</summary>
    public string? AllowedRedirectOriginsJson { get; set; }
    /// <summary>When the next periodic credential check is due; moved ahead by the node that claims it.</summary>
    public DateTime? HealthCheckDueAt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency token, bumped on every write.</summary>
    public int Version { get; set; }
    public List<IntegrationSecret> Secrets { get; init; } = [];
}

public static class IntegrationStatus
{
    public const string Available = "available";
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Disconnected = "disconnected";

    /// <summary>The Kataven view only knows installed and available.</summary>
    public static string KatavenView(string status) => status is Active or Paused ? "installed" : "available";
}

public sealed class IntegrationSecret : IAccountRow
{
    /// <summary>The table, and the AAD's table part of every secret's ciphertext.</summary>
    public const string Table = "integration_secrets";

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public Guid IntegrationId { get; init; }
    public required string Name { get; init; }
    /// <summary>Envelope ciphertext (see Crypto/SecretBox); AAD binds it to account, integration and name.</summary>
    public required byte[] Ciphertext { get; set; }
    public required string KeyId { get; set; }
    public required string Fingerprint { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>The credential-health columns of integrations.</summary>
public sealed class IntegrationHealthColumnsConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> e)
    {
        e.Property(x => x.BaseUrlOverride).HasMaxLength(Integration.MaxBaseUrlOverrideLength);
        // The monitor's scan for due checks spans accounts.
        e.HasIndex(x => new { x.Status, x.HealthCheckDueAt });
    }
}
