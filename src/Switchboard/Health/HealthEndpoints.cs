using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Health;

/// <summary>Credential health of one installed integration: read it, or verify now.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapCredentialHealth(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/integrations/{id}/health").WithTags("Integrations");
        group.MapGet("/", GetHealth).RequireScope(Scopes.Read)
            .WithName("GetIntegrationHealth").WithSummary("Credential health of an installed integration")
            .WithDescription("health_status is healthy, unhealthy or unknown (never verified, no verify request, or needs OAuth).");
        group.MapPost("/check", CheckNow).RequireScope(Scopes.IntegrationsWrite)
            .WithName("CheckIntegrationHealth").WithSummary("Run the provider's verification request now");
        return api;
    }

    public static async Task<Results<Ok<HealthView>, ProblemHttpResult>> GetHealth(
        string id, Tenant tenant, SwitchboardDb db, AccountCatalog catalog, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var projectId = tenant.ProjectId;
        var provider = await catalog.ResolveAsync(db, accountId, projectId, id, ct);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var view = await db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider.Name && i.Status != IntegrationStatus.Available)
            .Select(i => new HealthView(i.Id, i.Provider, i.HealthStatus ?? HealthStatuses.Unknown, i.LastSyncedAt, i.ErrorMessage,
                i.HealthCheckDueAt, i.BaseUrlOverride))
            .FirstOrDefaultAsync(ct);
        return view is null ? Problems.IntegrationNotFound(id) : TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<HealthView>, ProblemHttpResult>> CheckNow(
        string id, Tenant tenant, SwitchboardDb db, AccountCatalog catalog, CredentialChecker checker, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var projectId = tenant.ProjectId;
        var provider = await catalog.ResolveAsync(db, accountId, projectId, id, ct);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var integrationId = await db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider.Name && i.Status != IntegrationStatus.Available)
            .Select(i => (Guid?)i.Id)
            .FirstOrDefaultAsync(ct);
        if (integrationId is null) return Problems.IntegrationNotFound(id);
        var result = await checker.CheckAsync(accountId, integrationId.Value, scheduleNext: true, tenant.Actor, ct);
        // Recorded as unknown (with the host in error_message); the caller is told plainly that nothing was sent.
        if (result?.BlockedHost is { } host) return Problems.OutboundBlocked(host);
        return await GetHealth(id, tenant, db, catalog, ct);
    }
}

public sealed record HealthView(Guid IntegrationId, string Provider, string HealthStatus, DateTime? LastSyncedAt, string? ErrorMessage,
    DateTime? NextCheckAt, string? BaseUrlOverride);
