using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Dashboard;

/// <summary>
/// The seed's "Get install URL": a short-lived, single-use link to the hosted install page
/// (<see cref="ConnectPages"/>) that an end user opens in a browser. The link carries no API key.
/// </summary>
public static class InstallUrlEndpoints
{
    public const string Message = "Open the URL above in a browser to complete installation. The link works once and expires at expires_at.";

    public static IEndpointRouteBuilder MapInstallUrl(this IEndpointRouteBuilder api)
    {
        // The response is a capability (a live install link) that must not be stored, so no Idempotency-Key.
        api.MapPost("/projects/{projectId}/integrations/{provider}/install-url", CreateInstallUrl)
            .RequireScope(Scopes.IntegrationsWrite).RefusesIdempotencyKey().ActsOnProjectInRoute()
            .WithTags("Integrations").WithName("CreateInstallUrl").WithSummary("Get a browser install URL for a provider")
            .WithDescription("Returns a single-use link to a hosted page where the end user enters the credential (or, for OAuth providers, starts the OAuth flow). The link contains no API key and expires after Switchboard:InstallLinkTtl (15 minutes by default).");
        return api;
    }

    public static async Task<Results<Ok<InstallUrlEnvelope>, ProblemHttpResult>> CreateInstallUrl(
        string provider, [AsParameters] TenantCatalog c, IOptions<SwitchboardOptions> options, IStoreWriter writer)
    {
        var (tenant, accountId, projectId, ct) = (c.Tenant, c.AccountId, c.ProjectId, c.Aborted);
        var definition = provider.Length > 64 ? null : await c.FindAsync(provider);
        if (definition is null) return Problems.NotFound("provider", provider);

        var now = DateTime.UtcNow;
        var token = InstallLinkTokens.NewToken();
        var link = new InstallLink
        {
            Id = InstallLinkTokens.Hash(token),
            AccountId = accountId,
            ProjectId = projectId,
            Provider = definition.Name,
            CreatedBy = tenant.ActorId,
            FormNonce = InstallLinkTokens.NewNonce(),
            CreatedAt = now,
            ExpiresAt = now + options.Value.InstallLinkTtl,
        };
        var setupType = SetupTypes.For(definition.AuthType);
        await writer.WriteAsync(async (tx, token) =>
        {
            // Links are worthless a day after they expire; each account sweeps its own.
            var staleBefore = now.AddDays(-1);
            await tx.Db.Set<InstallLink>().Where(l => l.AccountId == accountId && l.ExpiresAt < staleBefore).ExecuteDeleteAsync(token);
            tx.Db.Add(link);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "integration.install_url.created", projectId, definition.Name,
                IntegrationIds.For(projectId, definition.Name).ToString(), new { SetupType = setupType, link.ExpiresAt });
            await tx.Db.SaveChangesAsync(token);
        }, ct);

        var url = options.Value.PublicBaseUrl.TrimEnd('/') + "/connect/" + token;
        return TypedResults.Ok(new InstallUrlEnvelope(new InstallUrlData(definition.Name, url, setupType, Message, link.ExpiresAt)));
    }
}

public sealed record InstallUrlEnvelope(InstallUrlData Data);

public sealed record InstallUrlData(string Provider, string InstallUrl, string SetupType, string Message, DateTime ExpiresAt);
