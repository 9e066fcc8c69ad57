using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// One Idempotency-Key claimed by one account. The row is the claim: whoever inserts it runs the request;
/// everyone else replays (completed, same request), answers 422 (other request) or 409 (still in flight).
/// </summary>
public sealed class IdempotencyRecord
{
    public required string AccountId { get; init; }
    public const int MaxKeyLength = 255;
    public required string Key { get; init; }
    /// <summary>For people reading the table; the request hash is what is compared.</summary>
    public required string MethodPath { get; init; }
    /// <summary>SHA-256 of method, path (with query) and body.</summary>
    public required byte[] RequestHash { get; init; }
    public string State { get; set; } = IdempotencyStates.InFlight;
    public int? ResponseStatus { get; set; }
    public byte[]? ResponseBody { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
}

public static class IdempotencyStates
{
    public const string InFlight = "in_flight";
    public const string Completed = "completed";
}

public sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> e)
    {
        e.ToTable("idempotency_keys");
        e.HasKey(x => new { x.AccountId, x.Key });
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.Key).HasMaxLength(IdempotencyRecord.MaxKeyLength);
        e.Property(x => x.MethodPath).HasMaxLength(300);
        e.Property(x => x.State).HasMaxLength(20);
        e.Property(x => x.ContentType).HasMaxLength(200);
        e.Property(x => x.Location).HasMaxLength(2000);
        e.HasIndex(x => new { x.AccountId, x.ExpiresAt });
        // The sweep looks for expired rows across accounts before deleting them account by account.
        e.HasIndex(x => x.ExpiresAt);
    }
}
