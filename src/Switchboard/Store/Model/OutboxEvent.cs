using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// The durable outbox: one row per event, inserted in the same transaction as the change it reports (see
/// <see cref="EventOutbox"/>), so an event exists if and only if its change committed. The webhook dispatcher fans each
/// row out to the endpoints subscribed at that time (claimed by <see cref="FanOutId"/>, set once by one node).
/// </summary>
public sealed class OutboxEvent : IAccountRow
{
    public const string Table = "events";

    /// <summary>The fan-out marker of an event no endpoint could receive when it committed (settled in its own write on SQLite).</summary>
    public static readonly Guid SettledAtCommit = Guid.Empty;

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string Type { get; init; }
    /// <summary>The payload exactly as delivered and signed: {"type", "timestamp", "data"}.</summary>
    public required string PayloadJson { get; init; }
    public DateTime CreatedAt { get; init; }
    /// <summary>Set by the node that fanned the event out to its endpoints' deliveries; null while pending.</summary>
    public Guid? FanOutId { get; set; }
    public DateTime? FannedOutAt { get; set; }
}

public sealed class OutboxEventConfiguration : IEntityTypeConfiguration<OutboxEvent>
{
    public void Configure(EntityTypeBuilder<OutboxEvent> e)
    {
        e.ToTable(OutboxEvent.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.Type).HasMaxLength(64);
        // The dispatcher's scan for pending events spans accounts.
        e.HasIndex(x => new { x.FannedOutAt, x.CreatedAt });
        e.HasIndex(x => new { x.AccountId, x.ProjectId, x.CreatedAt });
    }
}
