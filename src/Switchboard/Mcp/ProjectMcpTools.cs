using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Switchboard.Audit;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Mcp;

/// <summary>
/// What Switchboard's /mcp serves one request: the tools of the caller's project, built per request from the database
/// (no cache, so a disabled connection's tools are gone from the very next tools/list), and their calls. A name that is
/// not one of them — unknown, another project's or account's, no longer permitted — is the same InvalidParams
/// "unknown tool", which does not tell whether it exists elsewhere.
/// </summary>
public sealed class ProjectMcpTools(McpConnections connections, RemoteMcpServer remote, IStoreWriter writer, ILogger<ProjectMcpTools> logger)
{
    public const string AuditAction = "mcp.tool.called";

    public async Task<ListToolsResult> ListAsync(Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var tools = new List<Tool>();
        foreach (var c in await EnabledAsync(tenant, db, ct))
            foreach (var (exposed, tool) in McpConnectionRows.ExposedTools(c))
                tools.Add(new Tool
                {
                    Name = exposed,
                    Title = tool.Title,
                    Description = tool.Description,
                    InputSchema = tool.InputSchema,
                });
        return new ListToolsResult { Tools = tools };
    }

    public async Task<CallToolResult> CallAsync(Tenant tenant, SwitchboardDb db, string name, IDictionary<string, JsonElement>? arguments, CancellationToken ct)
    {
        var sep = name.IndexOf(ToolNames.Separator, StringComparison.Ordinal);
        if (sep > 0)
        {
            var connectionName = name[..sep];
            var c = (await EnabledAsync(tenant, db, ct)).FirstOrDefault(x => x.Name == connectionName);
            var match = c is null ? default : McpConnectionRows.ExposedTools(c).FirstOrDefault(t => t.Exposed == name);
            if (c is not null && match.Tool is not null) return await CallRemoteAsync(tenant, c, match.Exposed, match.Tool, arguments, ct);
        }
        throw UnknownTool();
    }

    public static McpProtocolException UnknownTool() => new("unknown tool", McpErrorCode.InvalidParams);

    private async Task<CallToolResult> CallRemoteAsync(Tenant tenant, McpConnection c, string exposed, RemoteTool tool,
        IDictionary<string, JsonElement>? arguments, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyDictionary<string, string> headers;
        try { headers = connections.OpenHeaders(c); }
        catch (EncryptionUnavailableException) { return await FinishAsync(tenant, c, exposed, "encryption_unavailable", started, Error("Switchboard cannot open this connection's headers now (encryption unavailable)."), ct); }

        var outcome = await remote.CallToolAsync(c.Url, headers, tool.Name, arguments?.AsReadOnly(), ct);
        var (status, result) = outcome switch
        {
            RemoteOutcome.Called { Result: var r } => (r.IsError == true ? "tool_error" : "ok", r),
            RemoteOutcome.Blocked b => ("outbound_blocked", Error($"Outbound request to '{b.Host}' refused: it is not an allowed destination.")),
            RemoteOutcome.Failed f => ("unreachable", Error($"The MCP connection '{c.Name}' failed: {f.Message}")),
            _ => ("unreachable", Error($"The MCP connection '{c.Name}' failed.")),
        };
        return await FinishAsync(tenant, c, exposed, status, started, result, ct);
    }

    private async Task<CallToolResult> FinishAsync(Tenant tenant, McpConnection c, string exposed, string outcome, long started, CallToolResult result, CancellationToken ct)
    {
        var duration = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                AuditLog.Record(tx.Db, tenant.Actor, tenant.AccountId, AuditAction, tenant.ProjectId, targetId: exposed,
                    data: new { Tool = exposed, Connection = c.Name, ConnectionId = c.Id, Outcome = outcome, DurationMs = duration });
                await tx.Db.SaveChangesAsync(token);
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The call has happened (the remote may have acted): its result is the truth the caller needs; the lost audit row is logged.
            logger.LogWarning("Audit of an MCP tool call failed: {Error}", e.GetType().Name);
        }
        return result;
    }

    private static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static async Task<List<McpConnection>> EnabledAsync(Tenant tenant, SwitchboardDb db, CancellationToken ct) =>
        await McpConnections.OfProject(db, tenant).AsNoTracking().Where(c => c.Enabled).OrderBy(c => c.Name).ToListAsync(ct);
}
