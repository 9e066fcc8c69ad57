using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Integrations;

/// <summary>The Kataven integrations surface. Every query carries the caller's account and project.</summary>
public static class IntegrationsEndpoints
{
    public static IEndpointRouteBuilder MapIntegrations(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/integrations").WithTags("Integrations");
        group.MapGet("/", ListIntegrations).RequireScope(Scopes.Read).Produces<IntegrationList>()
            .WithName("ListIntegrations").WithSummary("List third-party integrations")
            .WithDescription("The catalog for this account's project, each entry installed or available, with per-category counts. Filters: category, status (available, installed). Paged by cursor. Entries leave out param_schema and secret_schema; GET one integration for them.");
        group.MapGet("/{id}", GetIntegration).RequireScope(Scopes.Read)
            .WithName("GetIntegration").WithSummary("Get a single integration (by uuid or snake_case name)");
        group.MapPost("/{id}/install", Install).RequireScope(Scopes.IntegrationsWrite).ReadsBody().AcceptsJson<InstallIntegrationRequest>(required: false)
            .WithName("InstallIntegration").WithSummary("Install an integration")
            .WithDescription("Stores params (plaintext) and secrets (encrypted), then sets the status to installed. An empty body installs without params; a group left out keeps what is stored.");
        group.MapPost("/{id}/uninstall", Uninstall).RequireScope(Scopes.IntegrationsWrite)
            .WithName("UninstallIntegration").WithSummary("Uninstall an integration")
            .WithDescription("Sets the status back to available and clears installed_at. Stored params and secrets are kept.");
        return api;
    }

    /// <summary>The list's query: filters and paging.</summary>
    public sealed record ListQuery(string? Category, string? Status, string? Cursor, string? Limit);

    public static async Task<Results<JsonBytes, Ok<List<ToolregistryIntegration>>, JsonHttpResult<List<ToolregistryIntegration>>, ProblemHttpResult>> ListIntegrations(
        [AsParameters] ListQuery query, HttpRequest request, [AsParameters] TenantCatalog c, IntegrationListCache cache, IOptions<JsonOptions> json)
    {
        // The toolregistry list shares this path: the `active` query parameter (or its media type) selects its shape.
        if (ToolregistryList.IsRequested(request))
        {
            var (items, problem) = await ToolregistryList.ListAsync(request, c);
            if (problem is not null) return problem;
            // Asked for by its media type, it is answered as that type; the `active` parameter alone keeps application/json.
            return ToolregistryList.AcceptsMediaType(request) ? TypedResults.Json(items!, contentType: ToolregistryList.MediaType) : TypedResults.Ok(items!);
        }
        var (category, status) = (query.Category, query.Status);
        if (status is not null && status is not ("available" or "installed"))
            return Problems.BadRequest("invalid_filter", "Invalid status filter", "status must be 'available' or 'installed'.");
        if (category is not null && !Categories.All.Contains(category))
            return Problems.BadRequest("invalid_filter", "Invalid category filter", $"Unknown category '{Problems.Truncate(category, 40)}'.");
        var (pageSize, after, pageProblem) = Paging.Parse(query.Limit, query.Cursor);
        if (pageProblem is not null) return pageProblem;

        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        // The hot read path: a page is served from this node's cache until a write drops it or it expires.
        var cacheKey = $"list:{accountId}:{projectId}:{status}:{category}:{after}:{pageSize}";
        if (cache.Find(cacheKey, accountId) is { } cached) return new JsonBytes(cached);
        var version = cache.Version(accountId);

        var rows = await InstalledRows(c.Db, accountId, projectId).ToDictionaryAsync(r => r.Provider, c.Aborted);
        var views = (await c.ProvidersAsync()).Select(p => IntegrationView.From(p, projectId, rows.GetValueOrDefault(p.Name), summary: true));
        if (status is not null) views = views.Where(v => v.Status == status);
        var statusFiltered = views.ToList();
        var byCategory = statusFiltered.GroupBy(v => v.Category).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var matching = category is null ? statusFiltered : statusFiltered.Where(v => v.Category == category).ToList();
        var counts = new IntegrationCounts(matching.Count, matching.Count(v => v.Status == "installed"),
            matching.Count(v => v.Status == "available"), byCategory);

        var page = matching.Where(v => after is null || string.CompareOrdinal(v.Name, after) > 0).Take(pageSize + 1).ToList();
        string? next = null;
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            next = Cursor.Encode(page[^1].Name);
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new IntegrationList(page, counts, next), json.Value.SerializerOptions);
        cache.Store(cacheKey, version, body);
        return new JsonBytes(body);
    }

    public static async Task<Results<Ok<IntegrationView>, ProblemHttpResult>> GetIntegration(string id, [AsParameters] TenantCatalog c)
    {
        var provider = await c.ResolveAsync(id);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var row = await InstalledRows(c.Db, c.AccountId, c.ProjectId, provider.Name).FirstOrDefaultAsync(c.Aborted);
        return TypedResults.Ok(IntegrationView.From(provider, c.ProjectId, row));
    }

    /// <summary>What an install needs besides the tenant's catalog.</summary>
    public sealed record InstallServices(SecretBox Box, IntegrationStore Store, InstallRules Rules, IEnumerable<IPostInstallHook> AfterInstall);

    public static async Task<Results<Ok<IntegrationView>, ProblemHttpResult>> Install(string id, HttpRequest request,
        [AsParameters] TenantCatalog c, [AsParameters] InstallServices s)
    {
        var provider = await c.ResolveAsync(id);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var (body, problem) = await InstallIntegrationRequest.ReadAsync(request, provider, s.Rules, c.Aborted);
        if (problem is not null) return problem;
        if (body!.Install.Secrets is { Count: > 0 } && !s.Box.IsAvailable) return Problems.EncryptionUnavailable();

        var command = InstallCommands.Prepare(c.Tenant.Actor, c.AccountId, c.ProjectId, provider, body.Install, s.Box, body.BaseUrl, body.Origins);
        var outcome = await s.Store.InstallAsync(command, c.Aborted);
        if (outcome.Row is null) return Problems.Validation(outcome.Missing);
        foreach (var hook in s.AfterInstall) await hook.AfterInstallAsync(c.AccountId, outcome.Row.Id, c.Tenant.Actor, c.Aborted);
        return TypedResults.Ok(IntegrationView.From(provider, c.ProjectId, outcome.Row));
    }

    public static async Task<Results<Ok<IntegrationView>, ProblemHttpResult>> Uninstall(string id, [AsParameters] TenantCatalog c, IntegrationStore store)
    {
        var provider = await c.ResolveAsync(id);
        if (provider is null) return Problems.IntegrationNotFound(id);
        await store.UninstallAsync(c.AccountId, c.ProjectId, provider.Name, c.Tenant.Actor, c.Aborted);
        var view = await InstalledRows(c.Db, c.AccountId, c.ProjectId, provider.Name).FirstOrDefaultAsync(c.Aborted);
        return TypedResults.Ok(IntegrationView.From(provider, c.ProjectId, view));
    }

    /// <summary>The provider filter goes before the projection: EF cannot translate a filter on a record built by the projection.</summary>
    public static IQueryable<InstalledRow> InstalledRows(SwitchboardDb db, string accountId, string projectId, string? provider = null) =>
        db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && (provider == null || i.Provider == provider))
            .Select(i => new InstalledRow(i.Id, i.Provider, i.Status, i.InstalledAt, i.ParamsJson, i.CreatedAt, i.UpdatedAt,
                i.Secrets.Select(s => new SecretView(s.Name, s.Fingerprint, s.UpdatedAt)).ToList(), i.AllowedRedirectOriginsJson));
}
