namespace Switchboard.Credentials;

/// <summary>Settings under Switchboard:OAuth (env: Switchboard__OAuth__Name).</summary>
public sealed class OAuthOptions
{
    public const string Section = "Switchboard:OAuth";

    /// <summary>A credential read refreshes first when the token expires within this margin.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>The background worker refreshes tokens expiring within this margin.</summary>
    public TimeSpan ProactiveMargin { get; set; } = TimeSpan.FromMinutes(10);
    public bool WorkerEnabled { get; set; } = true;
    public TimeSpan WorkerInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Due tokens taken per scan; a full batch is followed at once by the next scan until none are due.</summary>
    public int WorkerBatchSize { get; set; } = 100;
    /// <summary>Refreshes one node's worker runs at once (each is a token request to the provider).</summary>
    public int WorkerConcurrency { get; set; } = 8;
    /// <summary>How long an auth URL (and the session behind it) stays usable.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>A refresh lease outlives the token request (whose timeout is shorter), so two nodes never refresh at once.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan TokenRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a reader waits for another node's refresh before giving up.</summary>
    public TimeSpan WaitForRefresh { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>Transient refresh failures are retried with backoff; after this long the connection is marked error.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);
}
