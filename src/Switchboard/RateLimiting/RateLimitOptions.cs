namespace Switchboard.RateLimiting;

/// <summary>Settings under Switchboard:RateLimit. The limit is enforced per node (see <see cref="ApiKeyRateLimits"/>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Switchboard:RateLimit";

    public bool Enabled { get; set; } = true;
    /// <summary>Sustained requests per second per API key (the admin token: per account).</summary>
    public double PermitsPerSecond { get; set; } = 50;
    /// <summary>Bucket size: how many requests may arrive at once after a quiet spell.</summary>
    public int Burst { get; set; } = 100;
}
