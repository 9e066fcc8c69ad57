using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Connect;

/// <summary>
/// POST /connect/sessions: a connect session for one end user of the caller's project — a single-use, short-lived
/// link to the connect page (<see cref="ConnectSessionPages"/>) that the application opens in a popup, an iframe or a tab.
/// </summary>
public static class ConnectSessionsEndpoints
{
    /// <summary>Auth types an end user can connect on the page: their own key, or consent with the operator's OAuth app.</summary>
    public static readonly string[] Connectable = [AuthTypes.ApiKey, AuthTypes.Basic, AuthTypes.OAuth2];

    public sealed record Services(IStoreWriter Writer, IOptions<SwitchboardOptions> Options, IHostEnvironment Environment);

    public static async Task<Results<Created<ConnectSessionResponse>, ProblemHttpResult>> CreateAsync(HttpRequest request,
        [AsParameters] TenantCatalog c, [AsParameters] Services s)
    {
        var (tenant, db, ct) = (c.Tenant, c.Db, c.Aborted);
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return body.Problem;
        if (body.Root is not { ValueKind: JsonValueKind.Object } root)
            return Problems.Validation([new FieldError("$", "wrong_type", "The body must be a JSON object.")]);
        var loopbackHttp = RedirectUris.LoopbackHttpAllowed(s.Environment);
        var (parsed, errors) = ConnectSessionRequest.Parse(root, loopbackHttp);
        if (parsed is null) return Problems.Validation(errors);
        if (parsed.RedirectUri is { } redirect && RedirectUris.Problem(redirect, loopbackHttp) is { } why)
            return Problems.BadRequest("invalid_redirect_uri", "Invalid redirect_uri", $"redirect_uri {why}.");
        if (parsed.RedirectUri is { } r && parsed.AllowedOrigins is { Count: > 0 } own && !RedirectUris.IsAllowed(r, own))
            return Problems.BadRequest("redirect_uri_not_allowed", "redirect_uri not allowed",
                "redirect_uri must be under one of the session's allowed_origins.");

        // Named integrations must exist in the account's catalog and be connectable by an end user.
        var named = new List<FieldError>();
        for (var i = 0; i < (parsed.Integrations?.Count ?? 0); i++)
        {
            var name = parsed.Integrations![i];
            var provider = await c.FindAsync(name);
            if (provider is null) named.Add(new($"integrations[{i}]", "unknown_provider", $"No provider is named '{Problems.Truncate(name, 64)}'."));
            else if (!Connectable.Contains(provider.AuthType))
                named.Add(new($"integrations[{i}]", "not_connectable", $"{provider.DisplayName} uses {provider.AuthType}, which end users do not connect."));
        }
        if (named.Count > 0) return Problems.Validation(named);

        var accountId = tenant.AccountId;
        var projectId = tenant.ProjectId;
        // A named integration must be installed in the session's project (as every route, another project's is a 404).
        if (parsed.Integrations is { Count: > 0 } wanted)
        {
            var present = await db.Integrations.AsNoTracking()
                .Where(i => i.AccountId == accountId && i.ProjectId == projectId && wanted.Contains(i.Provider)
                            && (i.Status == IntegrationStatus.Active || i.Status == IntegrationStatus.Paused))
                .Select(i => i.Provider).ToListAsync(ct);
            if (wanted.FirstOrDefault(w => !present.Contains(w)) is { } absent) return Problems.IntegrationNotFound(absent);
        }

        // An integration restricted to some redirect origins (allowed_redirect_origins) accepts this session's only if
        // every place the result goes is among them.
        var installed = await db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.AllowedRedirectOriginsJson != null)
            .Select(i => new { i.Provider, i.AllowedRedirectOriginsJson }).ToListAsync(ct);
        foreach (var i in installed.Where(i => parsed.Integrations is null || parsed.Integrations.Contains(i.Provider)))
        {
            if (!ConnectOrigins.Admits(AllowedRedirectOrigins.Parse(i.AllowedRedirectOriginsJson), parsed.RedirectUri, parsed.AllowedOrigins))
                return Problems.BadRequest("redirect_uri_not_allowed", "redirect_uri not allowed",
                    $"The integration '{i.Provider}' accepts redirects only to: {string.Join(", ", AllowedRedirectOrigins.Parse(i.AllowedRedirectOriginsJson)!)} " +
                    "(its allowed_redirect_origins); redirect_uri and every allowed_origins entry must be among them.");
        }

        var now = DateTime.UtcNow;
        var token = ConnectTokens.NewToken();
        var session = new ConnectSession
        {
            Id = Guid.CreateVersion7(),
            TokenHash = ConnectTokens.Hash(token),
            AccountId = accountId,
            ProjectId = projectId,
            EndUserId = parsed.EndUser.Id,
            EndUserEmail = parsed.EndUser.Email,
            EndUserDisplayName = parsed.EndUser.DisplayName,
            IntegrationsJson = parsed.Integrations is null ? null : JsonSerializer.Serialize(parsed.Integrations),
            RedirectUri = parsed.RedirectUri,
            AllowedOriginsJson = parsed.AllowedOrigins is { Count: > 0 } o ? JsonSerializer.Serialize(o) : null,
            FormNonce = ConnectTokens.NewNonce(),
            CreatedBy = tenant.ActorId,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(parsed.Lifetime),
        };
        await s.Writer.WriteAsync(async (tx, token) =>
        {
            // Sessions are worthless a day after they expire; each account sweeps its own.
            var staleBefore = now.AddDays(-1);
            await tx.Db.Set<ConnectSession>().Where(x => x.AccountId == accountId && x.ExpiresAt < staleBefore).ExecuteDeleteAsync(token);
            tx.Db.Add(session);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "connect.session.created", projectId, null, session.Id.ToString(),
                new { end_user_id = session.EndUserId, integrations = parsed.Integrations, redirect_uri = session.RedirectUri,
                    allowed_origins = parsed.AllowedOrigins, expires_at = session.ExpiresAt });
            await tx.Db.SaveChangesAsync(token);
        }, ct);
        return TypedResults.Created((string?)null,
            new ConnectSessionResponse(token, ConnectTokens.PageUrl(s.Options.Value.PublicBaseUrl, token), session.ExpiresAt));
    }
}

/// <summary>Where a connect session's result may go, against an integration's allowed_redirect_origins.</summary>
public static class ConnectOrigins
{
    public static bool Admits(IReadOnlyList<string>? integrationOrigins, string? redirectUri, IEnumerable<string>? sessionOrigins) =>
        integrationOrigins is null
        || ((redirectUri is null || RedirectUris.IsAllowed(redirectUri, integrationOrigins))
            && (sessionOrigins ?? []).All(integrationOrigins.Contains));

    public static IReadOnlyList<string> Of(ConnectSession session) =>
        session.AllowedOriginsJson is null ? [] : JsonSerializer.Deserialize<List<string>>(session.AllowedOriginsJson) ?? [];

    public static IReadOnlyList<string>? Integrations(ConnectSession session) =>
        session.IntegrationsJson is null ? null : JsonSerializer.Deserialize<List<string>>(session.IntegrationsJson);
}
