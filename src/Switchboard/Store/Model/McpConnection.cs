using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// A remote MCP server a project registered. Its HTTP header values (e.g. Authorization) are sealed together as one
/// JSON object (<see cref="HeadersCiphertext"/>); only their names and fingerprints are kept in the clear. The tools the
/// server listed on its last successful check are kept as JSON (<see cref="ToolsJson"/>).
/// </summary>
public sealed class McpConnection : IAccountRow
{
    /// <summary>The table, and the AAD's table part of the headers' ciphertext.</summary>
    public const string Table = "mcp_connections";

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string Name { get; set; }
    public required string Url { get; set; }
    public string Transport { get; set; } = McpTransports.StreamableHttp;
    public bool Enabled { get; set; } = true;
    /// <summary>SecretBox ciphertext of a JSON object header name → value; null when the connection sends no header.</summary>
    public byte[]? HeadersCiphertext { get; set; }
    /// <summary>JSON object header name → fingerprint (never a value).</summary>
    public string HeaderFingerprintsJson { get; set; } = "{}";
    public string Status { get; set; } = McpConnectionStatus.Pending;
    public string? ErrorMessage { get; set; }
    /// <summary>JSON array of the server's tools (name, title, description, input_schema) from its last successful check.</summary>
    public string ToolsJson { get; set; } = "[]";
    public int ToolsCount { get; set; }
    public DateTime? LastCheckedAt { get; set; }
    /// <summary>When the next periodic check is due; moved ahead by the node that claims it.</summary>
    public DateTime? CheckDueAt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    public const int MaxNameLength = 32, MaxUrlLength = 2000;
}

public static class McpConnectionStatus
{
    public const string Pending = "pending", Connected = "connected", Error = "error";
}

public static class McpTransports
{
    public const string StreamableHttp = "streamable_http";
}

public sealed class McpConnectionConfiguration : IEntityTypeConfiguration<McpConnection>
{
    public void Configure(EntityTypeBuilder<McpConnection> e)
    {
        e.ToTable(McpConnection.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.Name).HasMaxLength(McpConnection.MaxNameLength);
        e.Property(x => x.Url).HasMaxLength(McpConnection.MaxUrlLength);
        e.Property(x => x.Transport).HasMaxLength(32);
        e.Property(x => x.Status).HasMaxLength(20);
        e.Property(x => x.ErrorMessage).HasMaxLength(1000);
        e.HasIndex(x => new { x.AccountId, x.ProjectId, x.Name }).IsUnique();
        e.HasIndex(x => new { x.Enabled, x.CheckDueAt });
        e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
