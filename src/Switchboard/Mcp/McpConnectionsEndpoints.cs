using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Mcp;

/// <summary>The project's remote MCP servers: /api/v1/mcp-connections (the seed's list route and envelope, made real).</summary>
internal static class McpConnectionsEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/mcp-connections").WithTags("MCP");
        group.MapGet("", List).RequireScope(Scopes.Read)
            .WithName("ListMcpConnections").WithSummary("List the project's MCP connections (cursor-paged)");
        group.MapPost("", Create).RequireScope(Scopes.IntegrationsWrite).ReadsBody().AcceptsJson<CreateMcpConnectionRequest>()
            .WithName("CreateMcpConnection").WithSummary("Register a remote MCP server (header values are sealed, never returned)");
        group.MapGet("/{id}", Get).RequireScope(Scopes.Read)
            .WithName("GetMcpConnection").WithSummary("Get an MCP connection");
        group.MapPatch("/{id}", Update).RequireScope(Scopes.IntegrationsWrite).ReadsBody().AcceptsJson<UpdateMcpConnectionRequest>()
            .WithName("UpdateMcpConnection").WithSummary("Change name, url, headers (replaced whole; null removes them) or enabled");
        group.MapDelete("/{id}", Delete).RequireScope(Scopes.IntegrationsWrite)
            .WithName("DeleteMcpConnection").WithSummary("Delete an MCP connection");
        group.MapPost("/{id}/refresh", Refresh).RequireScope(Scopes.IntegrationsWrite)
            .WithName("RefreshMcpConnection").WithSummary("Connect now, list the server's tools and store them");
        group.MapGet("/{id}/tools", Tools).RequireScope(Scopes.Read)
            .WithName("ListMcpConnectionTools").WithSummary("The tools the server listed on its last successful check");
    }

    public static async Task<Results<Ok<McpConnectionList>, ProblemHttpResult>> List(
        string? cursor, string? limit, Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var (size, after, problem) = Paging.Parse(limit, cursor);
        if (problem is not null) return problem;
        var query = McpConnections.OfProject(db, tenant).AsNoTracking();
        if (after is not null) query = query.Where(c => string.Compare(c.Name, after) > 0);
        var page = await query.OrderBy(c => c.Name).Take(size + 1).ToListAsync(ct);
        string? next = null;
        if (page.Count > size)
        {
            page.RemoveAt(size);
            next = Cursor.Encode(page[^1].Name);
        }
        return TypedResults.Ok(new McpConnectionList(page.Select(McpConnectionView.From).ToArray(), next));
    }

    public static async Task<Results<Created<McpConnectionView>, ProblemHttpResult>> Create(
        HttpRequest request, Tenant tenant, SwitchboardDb db, McpConnections connections, CancellationToken ct)
    {
        var (body, problem) = await JsonRequests.ReadAsync<CreateMcpConnectionRequest>(request, ct);
        if (problem is not null) return problem;
        return await connections.CreateAsync(tenant, db, body!, ct) switch
        {
            ConnectionWrite.Done d => TypedResults.Created($"/api/v1/mcp-connections/{d.Connection.Id}", McpConnectionView.From(d.Connection)),
            var other => ProblemFor(other, ""),
        };
    }

    public static async Task<Results<Ok<McpConnectionView>, ProblemHttpResult>> Get(string id, Tenant tenant, SwitchboardDb db, CancellationToken ct) =>
        await McpConnections.FindAsync(db, tenant, id, ct) is { } c ? TypedResults.Ok(McpConnectionView.From(c)) : NotFound(id);

    public static async Task<Results<Ok<McpConnectionView>, ProblemHttpResult>> Update(
        string id, HttpRequest request, Tenant tenant, SwitchboardDb db, McpConnections connections, CancellationToken ct)
    {
        if (await McpConnections.FindAsync(db, tenant, id, ct) is null) return NotFound(id);
        var (body, problem) = await JsonRequests.ReadAsync<UpdateMcpConnectionRequest>(request, ct);
        if (problem is not null) return problem;
        return await connections.UpdateAsync(tenant, db, id, body!, ct) switch
        {
            ConnectionWrite.Done d => TypedResults.Ok(McpConnectionView.From(d.Connection)),
            var other => ProblemFor(other, id),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, Tenant tenant, McpConnections connections, CancellationToken ct) =>
        await connections.DeleteAsync(tenant, id, ct) ? TypedResults.NoContent() : NotFound(id);

    public static async Task<Results<Ok<McpConnectionView>, ProblemHttpResult>> Refresh(
        string id, Tenant tenant, SwitchboardDb db, McpConnections connections, CancellationToken ct)
    {
        if (await McpConnections.FindAsync(db, tenant, id, ct) is not { } c) return NotFound(id);
        var result = await connections.CheckAsync(c, tenant.Actor, ct);
        return result.BlockedHost is { } host ? Problems.OutboundBlocked(host) : TypedResults.Ok(McpConnectionView.From(result.Connection));
    }

    public static async Task<Results<Ok<McpConnectionToolList>, ProblemHttpResult>> Tools(string id, Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        if (await McpConnections.FindAsync(db, tenant, id, ct) is not { } c) return NotFound(id);
        var tools = McpConnectionRows.ExposedTools(c)
            .Select(t => new McpConnectionToolView(t.Tool.Name, t.Exposed, t.Tool.Title, t.Tool.Description, t.Tool.InputSchema)).ToArray();
        return TypedResults.Ok(new McpConnectionToolList(c.Id.ToString(), c.Name, tools));
    }

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound("mcp_connection", id);

    private static ProblemHttpResult ProblemFor(ConnectionWrite outcome, string id) => outcome switch
    {
        ConnectionWrite.Invalid i => Problems.Validation(i.Errors),
        ConnectionWrite.NameTaken { IsProvider: true } t => Problems.Conflict("name_taken", "Name taken",
            $"'{t.Name}' is the name of a provider of the catalog; its native tools are served as {t.Name}__…, so a connection may not use it."),
        ConnectionWrite.NameTaken t => Problems.Conflict("name_taken", "Name taken", $"The project already has an MCP connection named '{t.Name}'."),
        ConnectionWrite.TooMany m => Problems.Conflict("too_many_connections", "Too many MCP connections", $"A project has at most {m.Max} MCP connections."),
        _ => NotFound(id),
    };
}
