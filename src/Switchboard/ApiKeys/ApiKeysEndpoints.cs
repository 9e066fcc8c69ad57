using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Data;
using Switchboard.Errors;
using Switchboard.Http;
using Switchboard.Idempotency;

namespace Switchboard.ApiKeys;

/// <summary>API key management; needs the admin scope (the seed's "Hub UI auth").</summary>
public static class ApiKeysEndpoints
{
    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/api-keys").WithTags("API keys");
        group.MapGet("/", ListKeys).RequireScope(Scopes.Admin).WithName("ListApiKeys").WithSummary("List API keys (never their values)");
        group.MapPost("/", CreateKey).RequireScope(Scopes.Admin).ReadsBody().RefusesIdempotencyKey().WithName("CreateApiKey").WithSummary("Create an API key; its value is shown once");
        group.MapDelete("/{id}", RevokeKey).RequireScope(Scopes.Admin).WithName("RevokeApiKey").WithSummary("Revoke an API key");
        return api;
    }

    public static async Task<Ok<ApiKeyList>> ListKeys(ClaimsPrincipal user, SwitchboardDb db, CancellationToken ct)
    {
        var accountId = user.AccountId();
        var restricted = user.RestrictedProjectId();
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => k.AccountId == accountId && (restricted == null || k.ProjectId == restricted))
            .OrderBy(k => k.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new ApiKeyList(keys.Select(ApiKeyView.From).ToArray()));
    }

    public static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateKey(
        HttpRequest request, ClaimsPrincipal user, SwitchboardDb db, CancellationToken ct)
    {
        var accountId = user.AccountId();
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return body.Problem;
        var root = body.Root!.Value;
        var errors = new List<FieldError>();
        if (root.ValueKind != JsonValueKind.Object) return Problems.Validation([new("$", "wrong_type", "The body must be a JSON object.")]);

        var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : null;
        if (name is null || name.Length is 0 or > 200 || name.Any(char.IsControl))
            errors.Add(new("name", "required", "name is required (1-200 characters, no control characters)."));
        var scopes = new List<string>();
        if (!root.TryGetProperty("scopes", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() == 0)
            errors.Add(new("scopes", "required", $"scopes must be a non-empty array of: {string.Join(", ", Scopes.All)}."));
        else
            foreach (var item in s.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && Scopes.IsKnown(item.GetString()!)) scopes.Add(item.GetString()!);
                else errors.Add(new("scopes", "invalid_scope", $"Scopes are: {string.Join(", ", Scopes.All)}."));
            }
        // A key restricted to a project only makes keys restricted to the same project (no way out of its project):
        // project_id left out or null means its own project, never the whole account; another project is invisible to it (404).
        var restricted = user.RestrictedProjectId();
        string? projectId = restricted;
        if (root.TryGetProperty("project_id", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            projectId = p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (projectId is null) errors.Add(new("project_id", "wrong_type", "project_id must be a string."));
            else if ((restricted is not null && projectId != restricted)
                     || !await db.Projects.AnyAsync(x => x.Id == projectId && x.AccountId == accountId, ct))
                return Problems.NotFound("project", projectId);
        }
        if (errors.Count > 0) return Problems.Validation(errors);

        var issued = ApiKeyIssuer.Issue(db, accountId, projectId, name!, scopes);
        AuditLog.Record(db, request.HttpContext, accountId, "api_key.created", projectId, targetId: issued.Key.Id,
            data: new { issued.Key.Name, Scopes = scopes, ProjectId = projectId });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/api-keys/{issued.Key.Id}", new CreatedApiKey(ApiKeyView.From(issued.Key), issued.Plaintext));
    }

    public static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeKey(
        string id, HttpContext http, ClaimsPrincipal user, SwitchboardDb db, ApiKeyCache cache, CancellationToken ct)
    {
        var accountId = user.AccountId();
        var restricted = user.RestrictedProjectId();
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.AccountId == accountId && (restricted == null || k.ProjectId == restricted), ct);
        if (key is null) return Problems.NotFound("api key", id);
        if (key.RevokedAt is null)
        {
            key.RevokedAt = DateTime.UtcNow;
            AuditLog.Record(db, http, accountId, "api_key.revoked", key.ProjectId, targetId: key.Id);
            await db.SaveChangesAsync(ct);
        }
        cache.Invalidate(key.Hash);
        return TypedResults.Ok(ApiKeyView.From(key));
    }
}

public sealed record ApiKeyView(string Id, string Name, string Prefix, string[] Scopes, string? ProjectId,
    DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)
{
    public static ApiKeyView From(ApiKey k) =>
        new(k.Id, k.Name, k.DisplayPrefix, k.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), k.ProjectId, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}

public sealed record ApiKeyList(IReadOnlyList<ApiKeyView> ApiKeys);

/// <summary>The only response that ever carries a key's value.</summary>
public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key);
