namespace Switchboard.Jobs;

/// <summary>This process's name in lease rows: unique per host, also when several hosts share one process (tests).</summary>
public sealed class NodeIdentity
{
    public string Id { get; } = $"{Environment.MachineName[..Math.Min(40, Environment.MachineName.Length)]}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}
