using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Switchboard.Audit;
using Switchboard.Invocation;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Mcp;

/// <summary>
/// What Switchboard's /mcp serves one request: the tools of the caller's project, built per request from the database
/// (no cache, so a paused integration, a revoked permission or a disabled connection is gone from the very next
/// tools/list), and their calls. Native tools are the project's permitted tools (<see cref="ProjectTools"/>, the filter
/// of GET /native-tools) under their openai_name, run by the one <see cref="ToolInvoker"/>; remote tools are
/// {connection}__{tool} (<see cref="ToolNames"/>). A name that is not one of them — unknown, another project's or
/// account's, no longer permitted or active — is the same InvalidParams "unknown tool", which does not tell whether it
/// exists elsewhere.
/// </summary>
public sealed class ProjectMcpTools(
    McpConnections connections, RemoteMcpServer remote, ProjectTools projectTools, ToolInvoker invoker, IStoreWriter writer, ILogger<ProjectMcpTools> logger)
{
    public const string AuditAction = "mcp.tool.called";

    public async Task<ListToolsResult> ListAsync(Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var tools = new List<Tool>();
        foreach (var native in await projectTools.ListAsync(tenant, new ToolFilter(AllowedOnly: true), ct))
            tools.Add(new Tool
            {
                Name = native.Tool.OpenaiName,
                Title = native.Tool.Title,
                Description = native.Tool.Description,
                InputSchema = native.Tool.InputSchema,
            });
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
        var native = (await projectTools.ListAsync(tenant, new ToolFilter(AllowedOnly: true), ct)).FirstOrDefault(t => t.Tool.OpenaiName == name);
        if (native is not null) return await CallNativeAsync(tenant, native, arguments, ct);
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

    private async Task<CallToolResult> CallNativeAsync(Tenant tenant, ProjectTool native, IDictionary<string, JsonElement>? arguments, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var input = JsonSerializer.SerializeToElement(arguments ?? new Dictionary<string, JsonElement>());
        var outcome = await invoker.InvokeAsync(tenant, new ToolCall(native.Tool.OpenaiName, input, UserId: null, AuditAction), ct);
        var result = outcome switch
        {
            ToolOutcome.Completed c => Completed(c),
            ToolOutcome.ValidationFailed v => Error("The input does not match the tool's input_schema: " +
                string.Join("; ", v.Errors.Select(e => $"{e.Field}: {e.Message}"))),
            // Paused, revoked or removed between the listing above and the call: as if it had not been listed.
            ToolOutcome.NotFound or ToolOutcome.NotPermitted or ToolOutcome.NotActive => throw UnknownTool(),
            ToolOutcome.ConnectionRequired r => Error($"The end user '{r.UserId}' has no usable {r.Provider} connection ({r.Reason}); create one with POST {r.AuthUrlRoute}."),
            ToolOutcome.CredentialUnavailable => Error($"No usable {native.Provider} credential could be had for this call."),
            ToolOutcome.Blocked b => Error($"Outbound request to '{b.Host}' refused: it is not an allowed destination."),
            ToolOutcome.Unreachable u => Error($"The provider {u.Provider} could not be reached."),
            ToolOutcome.TimedOut t => Error($"The provider {t.Provider} did not answer within {t.After.TotalSeconds:0.#} s."),
            ToolOutcome.TooLarge l => Error($"The provider {l.Provider}'s answer was larger than {l.Limit} bytes."),
            _ => Error("The call failed."),
        };
        // The invoker audits every call it sends; one refused before anything was sent is audited here.
        if (outcome is ToolOutcome.ValidationFailed or ToolOutcome.ConnectionRequired or ToolOutcome.CredentialUnavailable)
            await AuditAsync(tenant, native.Tool.OpenaiName, new { Tool = native.Tool.OpenaiName, Integration = native.IntegrationId, native.Provider,
                Outcome = Invocations.OutcomeCode(outcome), DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds });
        return result;
    }

    /// <summary>The provider's answer as text (its JSON or text body); isError unless the tool's success rules hold.</summary>
    private static CallToolResult Completed(ToolOutcome.Completed c)
    {
        var body = c.Body?.ToJsonString() ?? c.Text ?? "";
        return new CallToolResult
        {
            IsError = !c.Ok,
            Content = [new TextContentBlock { Text = c.Ok ? body : $"The provider answered HTTP {c.Status}: {body}" }],
        };
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
        await AuditAsync(tenant, exposed, new { Tool = exposed, Connection = c.Name, ConnectionId = c.Id, Outcome = outcome, DurationMs = duration });
        return result;
    }

    private async Task AuditAsync(Tenant tenant, string tool, object data)
    {
        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                AuditLog.Record(tx.Db, tenant.Actor, tenant.AccountId, AuditAction, tenant.ProjectId, targetId: tool, data: data);
                await tx.Db.SaveChangesAsync(token);
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The call has happened (the remote may have acted): its result is the truth the caller needs; the lost audit row is logged.
            logger.LogWarning("Audit of an MCP tool call failed: {Error}", e.GetType().Name);
        }
    }

    private static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static async Task<List<McpConnection>> EnabledAsync(Tenant tenant, SwitchboardDb db, CancellationToken ct) =>
        await McpConnections.OfProject(db, tenant).AsNoTracking().Where(c => c.Enabled).OrderBy(c => c.Name).ToListAsync(ct);
}
