namespace Switchboard.Webhooks;

/// <summary>Settings under Switchboard:Webhooks (env: Switchboard__Webhooks__Name).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Switchboard:Webhooks";

    /// <summary>Run the delivery worker on this node (any number of nodes may; each delivery is claimed by one).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>How often a node looks for events to fan out and deliveries due (a commit on this node wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// After a commit wakes the worker, how long it lets further commits gather before the next round: under a stream of
    /// writes one fan-out then carries many events instead of taking the (SQLite: the only) writer once per commit.
    /// </summary>
    public TimeSpan WakeCoalesce { get; set; } = TimeSpan.FromMilliseconds(25);
    /// <summary>Per delivery request (connect, send, response headers).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>Deliveries in flight per node.</summary>
    public int Concurrency { get; set; } = 32;
    /// <summary>Events fanned out, or deliveries claimed, per database round.</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>How long a node's claim on a delivery lasts; another node retries it after that (must exceed Timeout).</summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>After rotate-secret, how long the previous secret still signs deliveries (alongside the new one).</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Endpoints per project.</summary>
    public int MaxEndpointsPerProject { get; set; } = 20;
}
