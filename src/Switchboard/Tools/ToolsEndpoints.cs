using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Invocation;
using Switchboard.Tenancy;

namespace Switchboard.Tools;

/// <summary>
/// The native tools of the caller's project (those of its active integrations, with their permission verdict) and
/// calling one. Calls need the tools:invoke scope; what a call does is the invocation core's (ToolInvoker).
/// </summary>
public static class ToolsEndpoints
{
    public static IEndpointRouteBuilder MapTools(this IEndpointRouteBuilder api)
    {
        var g = api.MapGroup("/native-tools").WithTags("Tools");
        g.MapGet("", ListTools).RequireScope(Scopes.Read)
            .WithName("ListNativeTools").WithSummary("The tools of the project's active integrations (filters provider, kind, q; cursor paged)");
        g.MapGet("/{name}", GetTool).RequireScope(Scopes.Read)
            .WithName("GetNativeTool").WithSummary("One tool by name (provider.action) or openai_name");
        g.MapPost("/{name}/invoke", InvokeTool).RequireScope(Scopes.ToolsInvoke).ReadsBody().AcceptsJson<InvokeToolRequest>(required: false)
            .WithName("InvokeNativeTool").WithSummary("Call a tool: the provider's status, selected headers and body")
            .WithDescription("200 whenever the provider answered, whatever its status (ok says whether the tool's success rule held). " +
                             "400 validation_failed (one entry per input error, field = JSON pointer; nothing sent), 403 action_not_permitted, " +
                             "404 tool_not_found, 409 integration_not_active, 409 connection_required, 502 provider_unreachable, " +
                             "502 provider_response_too_large, 502 outbound_blocked, 504 provider_timeout.");
        return api;
    }

    /// <summary>The query of GET /native-tools.</summary>
    public sealed record ListQuery(string? Provider, string? Kind, string? Q, string? Allowed, string? Limit, string? Cursor);

    public static async Task<Results<Ok<NativeToolList>, ProblemHttpResult>> ListTools([AsParameters] ListQuery query, Tenant tenant,
        ProjectTools tools, CancellationToken ct)
    {
        if (query.Kind is not (null or ToolKinds.Read or ToolKinds.Write))
            return Problems.BadRequest("invalid_kind", "Invalid kind", "kind must be read or write.");
        if (query.Allowed is not (null or "true" or "false"))
            return Problems.BadRequest("invalid_allowed", "Invalid allowed", "allowed must be true or false.");
        var (size, after, problem) = Paging.Parse(query.Limit, query.Cursor);
        if (problem is not null) return problem;
        var all = (await tools.ListAsync(tenant, new ToolFilter(query.Provider, query.Kind, query.Q), ct))
            .Where(t => query.Allowed is null || t.Allowed == (query.Allowed == "true"));
        var page = all.Where(t => after is null || string.CompareOrdinal(t.Tool.Name, after) > 0).Take(size + 1).ToList();
        string? next = null;
        if (page.Count > size)
        {
            page.RemoveAt(size);
            next = Cursor.Encode(page[^1].Tool.Name);
        }
        return TypedResults.Ok(new NativeToolList(page.Select(NativeTool.From).ToList(), next));
    }

    public static async Task<Results<Ok<NativeTool>, ProblemHttpResult>> GetTool(string name, Tenant tenant, ProjectTools tools, CancellationToken ct) =>
        await tools.FindAsync(tenant, name, ct) is { } tool
            ? TypedResults.Ok(NativeTool.From(tool))
            : InvocationProblems.For(new ToolOutcome.NotFound(name));

    public static async Task<Results<Ok<InvokeResult>, ProblemHttpResult>> InvokeTool(string name, HttpRequest request, Tenant tenant,
        ToolInvoker invoker, CancellationToken ct)
    {
        var (body, problem) = await InvokeToolRequest.ReadAsync(request, ct);
        if (problem is not null) return problem;
        var outcome = await invoker.InvokeAsync(tenant, new ToolCall(name, body!.Input ?? default, body.UserId), ct);
        return outcome is ToolOutcome.Completed c
            ? TypedResults.Ok(new InvokeResult(c.Ok, c.Status, c.Headers, c.Body ?? (c.Text is null ? null : JsonValue.Create(c.Text)), c.DurationMs))
            : InvocationProblems.For(outcome);
    }
}

/// <summary>The answer of a call the provider answered: its status, selected headers, and body (JSON, or the text as a string).</summary>
public sealed record InvokeResult(bool Ok, int Status, IReadOnlyDictionary<string, string> Headers, JsonNode? Body, long DurationMs);

/// <summary>POST …/invoke: the tool's input (an object; default {}) and the end user whose OAuth connection to use (default "default").</summary>
public sealed record InvokeToolRequest(JsonElement? Input, string? UserId) : IJsonRequest<InvokeToolRequest>
{
    public const int MaxUserIdLength = 256;

    public static async Task<(InvokeToolRequest? Request, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(request, allowEmpty: true, ct);
        if (body.Problem is not null) return (null, body.Problem);
        return body.Root is { } root ? JsonRequests.Parse<InvokeToolRequest>(root) : (new InvokeToolRequest(null, null), null);
    }

    public static (InvokeToolRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        JsonElement? input = null;
        string? userId = null;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "input":
                    if (p.Value.ValueKind == JsonValueKind.Object) input = p.Value.Clone();
                    else if (p.Value.ValueKind != JsonValueKind.Null) errors.Add(new("input", "wrong_type", "input must be an object."));
                    break;
                case "user_id":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.String) { errors.Add(new("user_id", "wrong_type", "user_id must be a string.")); break; }
                    userId = p.Value.GetString()!;
                    if (userId.Length is 0 or > MaxUserIdLength || userId.Any(char.IsControl))
                        errors.Add(new("user_id", "invalid", $"user_id must be 1 to {MaxUserIdLength} characters without control characters."));
                    break;
                default:
                    errors.Add(new(Problems.Truncate(p.Name, 64), "unknown_field", "Only input and user_id are accepted."));
                    break;
            }
        }
        return (new InvokeToolRequest(input, userId), errors);
    }
}

/// <summary>A tool as the API shows it: its definition, the integration it belongs to, and whether calls are allowed.</summary>
public sealed record NativeTool(string Name, string OpenaiName, string Title, string Description, string Kind, string Permission,
    JsonElement InputSchema, NativeToolRequest Request, string ApiVersion, string Provider, string IntegrationId, bool Allowed, string? DeniedReason)
{
    public static NativeTool From(ProjectTool t) => new(t.Tool.Name, t.Tool.OpenaiName, t.Tool.Title, t.Tool.Description, t.Tool.Kind,
        t.Tool.Permission, t.Tool.InputSchema, new NativeToolRequest(t.Tool.Request.Method, t.Tool.Request.Path), t.Tool.ApiVersion,
        t.Provider, t.IntegrationId, t.Allowed, t.DeniedReason);
}

public sealed record NativeToolRequest(string Method, string Path);

public sealed record NativeToolList(IReadOnlyList<NativeTool> NativeTools, string? NextCursor);
