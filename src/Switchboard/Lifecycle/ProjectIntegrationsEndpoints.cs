using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Lifecycle;

/// <summary>
/// The RogerIQ integrations surface, per project: list installed, browse the catalog, update lifecycle, disconnect.
/// Another account's project, or another project than a restricted key's, is 404 project_not_found.
/// PATCH or DELETE on an integration that is not installed (status available) is 409 invalid_transition.
/// </summary>
public static class ProjectIntegrationsEndpoints
{
    public const int MaxQueryLength = 100;
    private static readonly string[] CatalogStatuses =
        [IntegrationStatus.Available, IntegrationStatus.Active, IntegrationStatus.Paused, IntegrationStatus.Disconnected];

    public static IEndpointRouteBuilder MapProjectIntegrations(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/projects/{projectId}/integrations").WithTags("Project integrations").ActsOnProjectInRoute();
        group.MapGet("/", ListInstalled).RequireScope(Scopes.Read)
            .WithName("ListProjectIntegrations").WithSummary("List this project's installed integrations (active, paused, disconnected)");
        group.MapGet("/catalog", BrowseCatalog).RequireScope(Scopes.Read)
            .WithName("BrowseProjectCatalog").WithSummary("Browse the catalog, installed and available, with health and sync metadata")
            .WithDescription("Filters: q (free text over name, display name, description, category), category, status (available, active, paused, disconnected). Paged by cursor (limit 1-200, default 50).");
        group.MapGet("/catalog/{provider}", GetCatalogEntry).RequireScope(Scopes.Read)
            .WithName("GetProjectCatalogEntry").WithSummary("One catalog entry with this project's status");
        group.MapPatch("/{provider}/lifecycle", UpdateLifecycle).RequireScope(Scopes.IntegrationsWrite).ReadsBody().AcceptsJson<LifecyclePatch>()
            .WithName("UpdateIntegrationLifecycle").WithSummary("Change status, display name, sidebar, settings or action permissions")
            .WithDescription("status: active | paused | disconnected (a disconnected integration is reconnected by installing it again). settings is deep-merged, null removes a key. action_permissions is an object of action → boolean, merged, null removes. 409 invalid_transition when the integration is not installed or the status change is not allowed.");
        group.MapDelete("/{provider}", Disconnect).RequireScope(Scopes.IntegrationsWrite)
            .WithName("DisconnectIntegration").WithSummary("Disconnect: status disconnected, sidebar hidden, health cleared; tokens are NOT revoked");
        return api;
    }

    public static async Task<Results<Ok<DataList<ProjectIntegrationView>>, ProblemHttpResult>> ListInstalled(
        [AsParameters] TenantCatalog c)
    {
        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        var rows = await c.Db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Status != IntegrationStatus.Available)
            .ToListAsync(c.Aborted);
        var providers = (await c.ProvidersAsync()).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var views = rows
            .Select(r => (Row: r, Provider: providers.GetValueOrDefault(r.Provider)))
            .Where(x => x.Provider is not null)
            .OrderBy(x => x.Row.Provider, StringComparer.Ordinal)
            .Select(x => ProjectIntegrationView.From(x.Provider!, x.Row))
            .ToArray();
        return TypedResults.Ok(new DataList<ProjectIntegrationView>(views, null));
    }

    /// <summary>The catalog browse's query: free text, filters, paging.</summary>
    public sealed record CatalogQuery(string? Q, string? Category, string? Status, string? Cursor, string? Limit);

    public static async Task<Results<Ok<DataList<CatalogEntryView>>, ProblemHttpResult>> BrowseCatalog(
        [AsParameters] CatalogQuery query, [AsParameters] TenantCatalog c)
    {
        var (q, category, status) = (query.Q, query.Category, query.Status);
        if (status is not null && !CatalogStatuses.Contains(status))
            return Problems.BadRequest("invalid_filter", "Invalid status filter", "status must be one of: available, active, paused, disconnected.");
        if (category is not null && !Categories.All.Contains(category))
            return Problems.BadRequest("invalid_filter", "Invalid category filter", $"Unknown category '{Problems.Truncate(category, 40)}'.");
        if (q is not null && q.Length > MaxQueryLength)
            return Problems.BadRequest("invalid_filter", "Invalid q filter", $"q is limited to {MaxQueryLength} characters.");
        var (pageSize, after, pageProblem) = Paging.Parse(query.Limit, query.Cursor);
        if (pageProblem is not null) return pageProblem;

        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        var rows = await c.Db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId)
            .ToDictionaryAsync(i => i.Provider, c.Aborted);
        var text = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        var providers = await c.ProvidersAsync();
        var page = providers
            .Select(p => (Provider: p, View: CatalogEntryView.From(p, projectId, rows.GetValueOrDefault(p.Name))))
            .Where(x => text is null || Matches(x.View, x.Provider, text))
            .Select(x => x.View)
            .Where(v => category is null || v.Category == category)
            .Where(v => status is null || v.Status == status)
            .Where(v => after is null || string.CompareOrdinal(v.Provider, after) > 0)
            .Take(pageSize + 1)
            .ToList();
        string? next = null;
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            next = Cursor.Encode(page[^1].Provider);
        }
        return TypedResults.Ok(new DataList<CatalogEntryView>(page, next));
    }

    public static async Task<Results<Ok<Envelope<CatalogEntryView>>, ProblemHttpResult>> GetCatalogEntry(
        string provider, [AsParameters] TenantCatalog c)
    {
        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        var definition = await c.ResolveAsync(provider);
        if (definition is null) return Problems.IntegrationNotFound(provider);
        var row = await c.Db.Integrations.AsNoTracking()
            .FirstOrDefaultAsync(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == definition.Name, c.Aborted);
        return TypedResults.Ok(Envelope.Of(CatalogEntryView.From(definition, projectId, row)));
    }

    public static async Task<Results<Ok<Envelope<ProjectIntegrationView>>, ProblemHttpResult>> UpdateLifecycle(
        string provider, HttpRequest request, [AsParameters] TenantCatalog c, IntegrationStore store)
    {
        var definition = await c.ResolveAsync(provider);
        if (definition is null) return Problems.IntegrationNotFound(provider);
        var (patch, problem) = await JsonRequests.ReadAsync<LifecyclePatch>(request, c.Aborted);
        if (problem is not null) return problem;
        return Answer(definition, await store.EditAsync(patch!.ToEdit(c.AccountId, c.ProjectId, definition.Name, c.Tenant.Actor), c.Aborted));
    }

    public static async Task<Results<Ok<Envelope<ProjectIntegrationView>>, ProblemHttpResult>> Disconnect(
        string provider, [AsParameters] TenantCatalog c, IntegrationStore store)
    {
        var definition = await c.ResolveAsync(provider);
        if (definition is null) return Problems.IntegrationNotFound(provider);
        return Answer(definition, await store.DisconnectAsync(c.AccountId, c.ProjectId, definition.Name, c.Tenant.Actor, c.Aborted));
    }

    private static Results<Ok<Envelope<ProjectIntegrationView>>, ProblemHttpResult> Answer(ProviderDefinition definition, LifecycleOutcome outcome) =>
        outcome switch
        {
            LifecycleOutcome.Changed c => TypedResults.Ok(Envelope.Of(ProjectIntegrationView.From(definition, c.Row))),
            LifecycleOutcome.Refused r => Problems.InvalidTransition(r.Transition.Provider, r.Transition.From, r.Transition.Requested, r.Transition.Hint),
            LifecycleOutcome.SidebarHidden s => Problems.SidebarHidden(s.Provider, s.Status),
            LifecycleOutcome.SettingsTooLarge l => Problems.Validation([new("settings", "too_large", $"Settings are limited to {l.MaxBytes} bytes.")]),
            _ => throw new InvalidOperationException("unknown lifecycle outcome"),
        };

    private static bool Matches(CatalogEntryView v, ProviderDefinition p, string text) =>
        p.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
        || p.DisplayName.Contains(text, StringComparison.OrdinalIgnoreCase)
        || v.DisplayName.Contains(text, StringComparison.OrdinalIgnoreCase)
        || p.Description.Contains(text, StringComparison.OrdinalIgnoreCase)
        || p.Category.Contains(text, StringComparison.OrdinalIgnoreCase);
}
