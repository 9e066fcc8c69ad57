namespace Switchboard.Mcp;

/// <summary>Settings under Switchboard:Mcp.</summary>
public sealed class McpOptions
{
    public const string Section = "Switchboard:Mcp";

    /// <summary>Periodic re-check of enabled MCP connections.</summary>
    public bool MonitorEnabled { get; set; } = true;
    /// <summary>How often each enabled connection is re-checked (by one node: see <see cref="McpConnectionMonitor"/>).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>How often a node looks for connections whose check is due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Checks claimed per poll and node.</summary>
    public int BatchSize { get; set; } = 20;
    /// <summary>Connecting to a remote server and listing its tools.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>One tools/call on a remote server.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Connections per project.</summary>
    public int MaxConnectionsPerProject { get; set; } = 50;
}
