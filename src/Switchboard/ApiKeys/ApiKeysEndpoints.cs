using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.ApiKeys;

/// <summary>API key management; needs the admin scope (the seed's "Hub UI auth").</summary>
public static class ApiKeysEndpoints
{
    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/api-keys").WithTags("API keys");
        group.MapGet("/", ListKeys).RequireScope(Scopes.Admin).WithName("ListApiKeys").WithSummary("List API keys (never their values)");
        group.MapPost("/", CreateKey).RequireScope(Scopes.Admin).ReadsBody().AcceptsJson<CreateApiKeyRequest>().RefusesIdempotencyKey()
            .WithName("CreateApiKey").WithSummary("Create an API key; its value is shown once");
        group.MapDelete("/{id}", RevokeKey).RequireScope(Scopes.Admin).WithName("RevokeApiKey").WithSummary("Revoke an API key");
        return api;
    }

    public static async Task<Ok<ApiKeyList>> ListKeys(Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var restricted = tenant.RestrictedProjectId;
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => k.AccountId == accountId && (restricted == null || k.ProjectId == restricted))
            .OrderBy(k => k.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new ApiKeyList(keys.Select(ApiKeyView.From).ToArray()));
    }

    public static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateKey(
        HttpRequest request, Tenant tenant, SwitchboardDb db, IStoreWriter writer, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return body.Problem;
        if (body.Root!.Value.ValueKind != JsonValueKind.Object) return Problems.Validation([new("$", "wrong_type", "The body must be a JSON object.")]);
        var (create, errors) = CreateApiKeyRequest.Parse(body.Root.Value);
        // A key restricted to a project only makes keys restricted to the same project (no way out of its project):
        // project_id left out or null means its own project, never the whole account; another project is invisible to it (404).
        var restricted = tenant.RestrictedProjectId;
        var projectId = create!.ProjectId ?? restricted;
        if (create.ProjectId is { } asked
            && ((restricted is not null && asked != restricted) || !await db.Projects.AnyAsync(x => x.Id == asked && x.AccountId == accountId, ct)))
            return Problems.NotFound("project", asked);
        if (errors.Count > 0) return Problems.Validation(errors);
        var (name, scopes) = (create.Name, create.Scopes);

        var issued = await writer.WriteAsync(async (tx, token) =>
        {
            var key = ApiKeyIssuer.Issue(tx.Db, accountId, projectId, name, scopes);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "api_key.created", projectId, targetId: key.Key.Id,
                data: new { key.Key.Name, Scopes = scopes, ProjectId = projectId });
            await tx.Db.SaveChangesAsync(token);
            return key;
        }, ct);
        return TypedResults.Created($"/api/v1/api-keys/{issued.Key.Id}", new CreatedApiKey(ApiKeyView.From(issued.Key), issued.Plaintext));
    }

    public static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeKey(
        string id, Tenant tenant, IStoreWriter writer, ApiKeyCache cache, CancellationToken ct)
    {
        var key = await ApiKeyIssuer.RevokeAsync(writer, id, tenant.AccountId, tenant.RestrictedProjectId, tenant.Actor, ct);
        if (key is null) return Problems.NotFound("api key", id);
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
