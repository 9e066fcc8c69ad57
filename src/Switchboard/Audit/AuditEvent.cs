namespace Switchboard.Audit;

/// <summary>One recorded change or secret read. Written in the same transaction as the change itself.</summary>
public sealed class AuditEvent
{
    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public string? ProjectId { get; init; }
    /// <summary>e.g. integration.installed, integration.lifecycle.updated, integration.disconnected, api_key.revoked.</summary>
    public required string Action { get; init; }
    public string? Provider { get; init; }
    public string? TargetId { get; init; }
    /// <summary>api_key, admin, system or end_user.</summary>
    public required string ActorType { get; init; }
    public string? ActorId { get; init; }
    public string? RequestId { get; init; }
    public string? ClientIp { get; init; }
    /// <summary>Non-secret details as a JSON object (e.g. before/after of changed fields, secret names).</summary>
    public string DataJson { get; init; } = "{}";
    public DateTime CreatedAt { get; init; }
}
