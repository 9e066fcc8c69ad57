using Switchboard.Tenancy;

namespace Switchboard.Mcp;

public static class McpEndpoints
{
    public static IEndpointRouteBuilder MapMcp(this IEndpointRouteBuilder api)
    {
        api.MapGet("/mcp-connections", () => TypedResults.Ok(new McpConnectionList([], null)))
            .RequireScope(Scopes.Read).WithTags("MCP")
            .WithName("ListMcpConnections").WithSummary("List MCP connections (empty until MCP ships)");
        return api;
    }
}

public sealed record McpConnection(string Id, string Name, string Url, string Status);

public sealed record McpConnectionList(IReadOnlyList<McpConnection> McpConnections, string? NextCursor);
