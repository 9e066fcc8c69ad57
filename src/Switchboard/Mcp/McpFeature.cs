using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Mcp;

/// <summary>
/// MCP: the project's remote MCP servers (/api/v1/mcp-connections) and Switchboard's own MCP server at /mcp
/// (ModelContextProtocol.AspNetCore, Streamable HTTP, stateless), authenticated with the project's API key
/// (scope tools:invoke) and described for MCP clients by RFC 9728 protected-resource metadata.
/// </summary>
public static class McpFeature
{
    public const string ServerPath = "/mcp";
    public const string ResourceMetadataPath = "/.well-known/oauth-protected-resource";

    public static IServiceCollection AddMcpFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<McpOptions>(configuration.GetSection(McpOptions.Section));
        services.AddSingleton<RemoteMcpServer>();
        services.AddSingleton<McpConnections>();
        services.AddScoped<ProjectMcpTools>();
        services.AddSingleton<McpConnectionMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<McpConnectionMonitor>());
        services.AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation { Name = "switchboard", Title = "Switchboard", Version = "1.0" };
                o.Capabilities = new ServerCapabilities { Tools = new ToolsCapability() };
            })
            .WithHttpTransport(o =>
            {
                o.Stateless = true;
                // Runs for every request in stateless mode: the handlers act for that request's tenant, with its services.
                o.ConfigureSessionOptions = (http, server, _) =>
                {
                    server.Handlers.ListToolsHandler = (request, ct) => new ValueTask<ListToolsResult>(
                        Tools(http).ListAsync(http.RequestServices.GetRequiredService<Tenant>(), http.RequestServices.GetRequiredService<SwitchboardDb>(), ct));
                    server.Handlers.CallToolHandler = (request, ct) => CallAsync(http, request.Params, ct);
                    return Task.CompletedTask;
                };
            });
        return services;
    }

    /// <summary>The feature's routes: the connections under <paramref name="api"/>, the MCP server and its metadata at the root.</summary>
    public static void MapMcpFeature(this IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        McpConnectionsEndpoints.Map(api);

        var baseUrl = app.ServiceProvider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.PublicBaseUrl.TrimEnd('/');
        var metadataUrl = baseUrl + ResourceMetadataPath + ServerPath;
        app.MapMcp(ServerPath).RequireScope(Scopes.ToolsInvoke).ReadsBody()
            .WithMetadata(new BearerChallenge($"Bearer resource_metadata=\"{metadataUrl}\", scope=\"{Scopes.ToolsInvoke}\""))
            .WithTags("MCP")
            // JSON-RPC over Streamable HTTP, described by the MCP specification (and the README), not by this REST contract.
            .ExcludeFromDescription();

        // RFC 9728: at the well-known URI with the resource's path appended, and at the bare one for clients that try it first.
        var metadata = new ProtectedResourceMetadata(baseUrl + ServerPath, "Switchboard MCP server", ["header"], [Scopes.ToolsInvoke],
            baseUrl + "/docs");
        foreach (var path in new[] { ResourceMetadataPath + ServerPath, ResourceMetadataPath })
            app.MapGet(path, () => TypedResults.Json(metadata, contentType: "application/json")).AllowAnonymous().ExcludeFromDescription();
    }

    private static ProjectMcpTools Tools(HttpContext http) => http.RequestServices.GetRequiredService<ProjectMcpTools>();

    private static async ValueTask<CallToolResult> CallAsync(HttpContext http, CallToolRequestParams? call, CancellationToken ct)
    {
        if (call is null || string.IsNullOrEmpty(call.Name)) throw ProjectMcpTools.UnknownTool();
        var tenant = http.RequestServices.GetRequiredService<Tenant>();
        try
        {
            return await Tools(http).CallAsync(tenant, http.RequestServices.GetRequiredService<SwitchboardDb>(), call.Name, call.Arguments, ct);
        }
        catch (EncryptionUnavailableException)
        {
            return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = "Secret encryption service unavailable." }] };
        }
    }
}

/// <summary>RFC 9728 protected resource metadata (snake_case members as the RFC names them).</summary>
public sealed record ProtectedResourceMetadata(
    string Resource, string ResourceName, IReadOnlyList<string> BearerMethodsSupported, IReadOnlyList<string> ScopesSupported,
    string ResourceDocumentation);
