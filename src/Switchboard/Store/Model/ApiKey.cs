namespace Switchboard.Store;

public sealed class ApiKey
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    /// <summary>When set, the key may act only on this project.</summary>
    public string? ProjectId { get; init; }
    public required string Name { get; set; }
    /// <summary>The first characters of the key, safe to show (e.g. "sk_live_abc123_Xy…").</summary>
    public required string DisplayPrefix { get; init; }
    /// <summary>SHA-256 of the whole key. Keys carry ≥128 random bits, so a fast hash is enough.</summary>
    public required byte[] Hash { get; init; }
    /// <summary>Space-separated scopes.</summary>
    public required string Scopes { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
