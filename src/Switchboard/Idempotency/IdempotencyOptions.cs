namespace Switchboard.Idempotency;

/// <summary>Settings under Switchboard:Idempotency.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Switchboard:Idempotency";

    public bool Enabled { get; set; } = true;
    /// <summary>How long a key is remembered (and its response replayed).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);
    /// <summary>
    /// An in-flight claim older than this is taken to belong to a node that died mid-request and may be taken over
    /// (otherwise the key would answer 409 until it expires).
    /// </summary>
    public TimeSpan InFlightTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How often one node (holding the database lease) deletes expired keys.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}
