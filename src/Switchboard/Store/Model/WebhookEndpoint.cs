using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>
/// Where a project's events are delivered (Standard Webhooks). The signing secret is sealed (Sealing/SealedFields);
/// after a rotation the previous one is kept until <see cref="PreviousSecretUntil"/> and both sign every delivery.
/// </summary>
public sealed class WebhookEndpoint : IAccountRow
{
    public const string Table = "webhook_endpoints";
    public const int MaxUrlLength = 2000;

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public required string Url { get; set; }
    /// <summary>The subscribed event types as a JSON array; empty means every type.</summary>
    public string EventTypesJson { get; set; } = "[]";
    public bool Enabled { get; set; } = true;
    /// <summary>Why delivery stopped: manual (the API), gone (the endpoint answered 410), failing (a whole retry schedule failed).</summary>
    public string? DisabledReason { get; set; }
    public DateTime? DisabledAt { get; set; }
    /// <summary>The whsec_ secret, sealed; AAD binds it to account, endpoint and field.</summary>
    public required byte[] Secret { get; set; }
    public byte[]? PreviousSecret { get; set; }
    public DateTime? PreviousSecretUntil { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public int Version { get; set; }
}

public static class WebhookDisabledReason
{
    public const string Manual = "manual", Gone = "gone", Failing = "failing";
}

/// <summary>One event to deliver to one endpoint: retried on the schedule until delivered or given up.</summary>
public sealed class WebhookDelivery : IAccountRow
{
    public const string Table = "webhook_deliveries";

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string ProjectId { get; init; }
    public Guid EndpointId { get; init; }
    public Guid EventId { get; init; }
    public required string EventType { get; init; }
    /// <summary>The webhook-id header: the same for every attempt and every replay of the event to this endpoint.</summary>
    public required string MessageId { get; init; }
    public string Status { get; set; } = WebhookDeliveryStatus.Pending;
    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }
    /// <summary>When the next attempt is due; while a node holds the delivery, when its claim runs out.</summary>
    public DateTime? NextAttemptAt { get; set; }
    /// <summary>The claim of the node sending the current attempt (null when none is in flight).</summary>
    public Guid? ClaimId { get; set; }
    public DateTime? FirstAttemptAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    /// <summary>The delivery this one replays, if it is a replay.</summary>
    public Guid? ReplayOf { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

public static class WebhookDeliveryStatus
{
    public const string Pending = "pending", Delivered = "delivered", Failed = "failed";
}

/// <summary>One HTTP request of a delivery, as sent and as answered. (delivery, number) is unique: an attempt is made once.</summary>
public sealed class WebhookAttempt : IAccountRow
{
    public const string Table = "webhook_attempts";

    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public Guid DeliveryId { get; init; }
    public int Number { get; init; }
    public DateTime AttemptedAt { get; init; }
    /// <summary>The webhook-timestamp sent (Unix seconds).</summary>
    public long Timestamp { get; init; }
    public int? StatusCode { get; init; }
    public int LatencyMs { get; init; }
    /// <summary>A stable code (timeout, connection_failed, outbound_blocked, http_500, …), never a response body.</summary>
    public string? Error { get; init; }
}

public sealed class WebhookConfiguration :
    IEntityTypeConfiguration<WebhookEndpoint>, IEntityTypeConfiguration<WebhookDelivery>, IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> e)
    {
        e.ToTable(WebhookEndpoint.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.Url).HasMaxLength(WebhookEndpoint.MaxUrlLength);
        e.Property(x => x.EventTypesJson).HasMaxLength(2000);
        e.Property(x => x.DisabledReason).HasMaxLength(20);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.HasIndex(x => new { x.AccountId, x.ProjectId, x.CreatedAt });
        e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<WebhookDelivery> e)
    {
        e.ToTable(WebhookDelivery.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.ProjectId).HasMaxLength(40);
        e.Property(x => x.EventType).HasMaxLength(64);
        e.Property(x => x.MessageId).HasMaxLength(64);
        e.Property(x => x.Status).HasMaxLength(20);
        e.Property(x => x.LastError).HasMaxLength(200);
        // The worker's scan for due deliveries spans accounts.
        e.HasIndex(x => new { x.Status, x.NextAttemptAt });
        e.HasIndex(x => x.ClaimId);
        e.HasIndex(x => new { x.AccountId, x.EndpointId, x.CreatedAt });
        e.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<WebhookAttempt> e)
    {
        e.ToTable(WebhookAttempt.Table);
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.Error).HasMaxLength(200);
        e.HasIndex(x => new { x.DeliveryId, x.Number }).IsUnique();
        e.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => x.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}
