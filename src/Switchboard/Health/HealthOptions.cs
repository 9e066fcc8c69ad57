namespace Switchboard.Health;

/// <summary>Settings under Switchboard:Health.</summary>
public sealed class HealthOptions
{
    public const string Section = "Switchboard:Health";

    /// <summary>Automatic checks: the periodic re-verification and, with <see cref="CheckOnInstall"/>, the install-time check.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Verify each integration's credentials right after an install (only while <see cref="Enabled"/>).</summary>
    public bool CheckOnInstall { get; set; } = true;
    /// <summary>How often each active integration is verified (by one node: see <see cref="HealthMonitor"/>).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How often a node looks for integrations whose check is due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Per verification request.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Checks claimed per poll and node.</summary>
    public int BatchSize { get; set; } = 50;
}

public static class HealthStatuses
{
    public const string Healthy = "healthy", Unhealthy = "unhealthy", Unknown = "unknown";
}

/// <summary>BlockedHost: the outbound guard refused the verification request's host (nothing was sent).</summary>
public sealed record HealthResult(string Status, string? ErrorMessage, string? BlockedHost = null);
