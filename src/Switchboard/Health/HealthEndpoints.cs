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

    public static async Task<Results<Ok<HealthView>, ProblemHttpResult>> GetHealth(string id, [AsParameters] TenantCatalog c)
    {
        var provider = await c.ResolveAsync(id);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var view = await Installed(c, provider.Name)
            .Select(i => new HealthView(i.Id, i.Provider, i.HealthStatus ?? HealthStatuses.Unknown, i.LastSyncedAt, i.ErrorMessage,
                i.HealthCheckDueAt, i.BaseUrlOverride))
            .FirstOrDefaultAsync(c.Aborted);
        return view is null ? Problems.IntegrationNotFound(id) : TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<HealthView>, ProblemHttpResult>> CheckNow(string id, [AsParameters] TenantCatalog c, CredentialChecker checker)
    {
        var provider = await c.ResolveAsync(id);
        if (provider is null) return Problems.IntegrationNotFound(id);
        var integrationId = await Installed(c, provider.Name).Select(i => (Guid?)i.Id).FirstOrDefaultAsync(c.Aborted);
        if (integrationId is null) return Problems.IntegrationNotFound(id);
        var result = await checker.CheckAsync(c.AccountId, integrationId.Value, scheduleNext: true, c.Tenant.Actor, c.Aborted);
        // Recorded as unknown (with the host in error_message); the caller is told plainly that nothing was sent.
        if (result?.BlockedHost is { } host) return Problems.OutboundBlocked(host);
        return await GetHealth(id, c);
    }

    /// <summary>The project's installed (not available) integration of the provider.</summary>
    private static IQueryable<Integration> Installed(TenantCatalog c, string provider)
    {
        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        return c.Db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider && i.Status != IntegrationStatus.Available);
    }
}

public sealed record HealthView(Guid IntegrationId, string Provider, string HealthStatus, DateTime? LastSyncedAt, string? ErrorMessage,
    DateTime? NextCheckAt, string? BaseUrlOverride);
