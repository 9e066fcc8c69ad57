using System.Text.Json;
using Switchboard.Store;

namespace Switchboard.Mcp;

/// <summary>A connection as the API shows it: header names with fingerprints, never values.</summary>
public sealed record McpConnectionView(
    string Id, string Name, string Url, string Transport, bool Enabled, string Status, int ToolsCount,
    DateTime? LastCheckedAt, string? ErrorMessage, IReadOnlyList<McpHeaderView> Headers, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static McpConnectionView From(McpConnection c) => new(
        c.Id.ToString(), c.Name, c.Url, c.Transport, c.Enabled, c.Status, c.ToolsCount, c.LastCheckedAt, c.ErrorMessage,
        McpConnectionRows.Fingerprints(c).Select(p => new McpHeaderView(p.Key, p.Value)).ToArray(), c.CreatedAt, c.UpdatedAt);
}

public sealed record McpHeaderView(string Name, string Fingerprint);

/// <summary>The seed's envelope: {"mcp_connections": […], "next_cursor": …}.</summary>
public sealed record McpConnectionList(IReadOnlyList<McpConnectionView> McpConnections, string? NextCursor);

/// <summary>One tool of a connection: its remote name, the name Switchboard's /mcp serves it under, and its schema.</summary>
public sealed record McpConnectionToolView(string Name, string McpName, string? Title, string? Description, JsonElement InputSchema);

public sealed record McpConnectionToolList(string ConnectionId, string Connection, IReadOnlyList<McpConnectionToolView> Tools);

public static class McpConnectionRows
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IReadOnlyDictionary<string, string> Fingerprints(McpConnection c) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(c.HeaderFingerprintsJson) ?? [];

    public static IReadOnlyList<RemoteTool> Tools(McpConnection c) => JsonSerializer.Deserialize<RemoteTool[]>(c.ToolsJson, Json) ?? [];

    public static string ToolsJson(IReadOnlyList<RemoteTool> tools) => JsonSerializer.Serialize(tools, Json);

    /// <summary>The connection's tools under their exposed names (first wins if two remote names ever map to one).</summary>
    public static IReadOnlyList<(string Exposed, RemoteTool Tool)> ExposedTools(McpConnection c)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(string, RemoteTool)>();
        foreach (var tool in Tools(c))
        {
            var exposed = ToolNames.Exposed(c.Name, tool.Name);
            if (seen.Add(exposed)) result.Add((exposed, tool));
        }
        return result;
    }
}
