using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;
using Switchboard.Events;

namespace Switchboard.OAuth;

/// <summary>toolregistry's end users of a customer integration (an installed integration): auth URLs, status, credentials.</summary>
public static class IntegrationUsersEndpoints
{
    public const int MaxUserIdLength = 256;

    public static IEndpointRouteBuilder MapIntegrationUsers(this IEndpointRouteBuilder api)
    {
        var g = api.MapGroup("/integrations/{customerIntegrationId}").WithTags("Integration users");
        g.MapGet("/users", ListUsers).RequireScope(Scopes.Read)
            .WithName("ListIntegrationUsers").WithSummary("List the end users of a customer integration (cursor paged)");
        g.MapGet("/users/{userId}", GetUser).RequireScope(Scopes.Read)
            .WithName("GetIntegrationUser").WithSummary("Get an end user of a customer integration");
        // The authorize URL is a capability (a live start handle) that must not be stored, so no Idempotency-Key.
        g.MapPost("/users/{userId}/auth-url", CreateAuthUrl).RequireScope(Scopes.IntegrationsWrite).RefusesIdempotencyKey().ReadsBody()
            .AcceptsJson<AuthUrlRequest>(required: false)
            .WithName("GenerateIntegrationUserAuthUrl").WithSummary("Generate an auth URL for an end user (created if missing)");
        g.MapDelete("/users/{userId}", DeleteUser).RequireScope(Scopes.IntegrationsWrite)
            .WithName("DeleteIntegrationUser").WithSummary("Revoke the user's tokens at the provider (RFC 7009) and delete the user");
        g.MapGet("/users/{userId}/credentials", GetUserCredentials).RequireScope(Scopes.CredentialsRead)
            .WithName("GetIntegrationUserCredentials").WithSummary("A valid access token for the user, refreshed first when it expires soon");
        g.MapGet("/credentials", GetIntegrationCredentials).RequireScope(Scopes.CredentialsRead)
            .WithName("GetIntegrationCredentials")
            .WithSummary("The integration's own token (client credentials, Google service account, AWS assume role)");
        return api;
    }

    private sealed record Target(Integration Row, ProviderDefinition Provider);

    /// <summary>The customer integration (an installed integration's uuid) in the caller's project, with its provider.</summary>
    private static async Task<(Target?, ProblemHttpResult?)> FindAsync(string customerIntegrationId, TenantCatalog c)
    {
        if (!Guid.TryParse(customerIntegrationId, out var id)) return (null, Problems.IntegrationNotFound(customerIntegrationId));
        var projectId = c.ProjectId;
        var (row, provider) = await IntegrationApp.FindAsync(c.Db, c.Catalog, c.AccountId, id, c.Aborted);
        if (row is null || provider is null || row.ProjectId != projectId) return (null, Problems.IntegrationNotFound(customerIntegrationId));
        return (new Target(row, provider), null);
    }

    /// <summary><see cref="FindAsync"/> and the connection of <paramref name="userId"/> ("" for the machine token) in one read.</summary>
    private static async Task<(IntegrationWithConnection?, ProviderDefinition?, ProblemHttpResult?)> FindWithConnectionAsync(
        string customerIntegrationId, string userId, TenantCatalog c, CredentialService credentials)
    {
        if (!Guid.TryParse(customerIntegrationId, out var id)) return (null, null, Problems.IntegrationNotFound(customerIntegrationId));
        var found = await credentials.FindAsync(c.Db, c.AccountId, id, userId, c.Aborted);
        if (found is null || found.Integration.ProjectId != c.ProjectId) return (null, null, Problems.IntegrationNotFound(customerIntegrationId));
        var provider = await c.Catalog.FindAsync(c.Db, c.AccountId, found.Integration.Provider, c.Aborted);
        if (provider is null) return (null, null, Problems.IntegrationNotFound(customerIntegrationId));
        return (found, provider, null);
    }

    private static ProblemHttpResult? CheckUserId(string userId) =>
        userId.Length is 0 or > MaxUserIdLength || userId.Any(char.IsControl)
            ? Problems.BadRequest("invalid_user_id", "Invalid userId", $"userId must be 1 to {MaxUserIdLength} characters without control characters.")
            : null;

    private static ProblemHttpResult NotActive(Integration row) =>
        new CredentialFailure(CredentialFailureKind.IntegrationNotActive, row.Status).ToProblem();

    public static async Task<Results<Ok<UserList>, ProblemHttpResult>> ListUsers(string customerIntegrationId, string? cursor, string? limit,
        [AsParameters] TenantCatalog c)
    {
        var (tenant, db, ct) = (c.Tenant, c.Db, c.Aborted);
        var (pageSize, after, pageProblem) = Paging.Parse(limit, cursor, "nextCursor");
        if (pageProblem is not null) return pageProblem;
        var (target, problem) = await FindAsync(customerIntegrationId, c);
        if (problem is not null) return problem;
        var accountId = tenant.AccountId;
        var query = db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.AccountId == accountId && c.IntegrationId == target!.Row.Id && c.UserId != "");
        if (after is not null) query = query.Where(c => string.Compare(c.UserId, after) > 0);
        var rows = await query.OrderBy(c => c.UserId).Take(pageSize + 1).ToListAsync(ct);
        string? next = null;
        if (rows.Count > pageSize)
        {
            rows.RemoveAt(pageSize);
            next = Cursor.Encode(rows[^1].UserId);
        }
        return TypedResults.Ok(new UserList(rows.Select(IntegrationUser.From).ToList(), next));
    }

    public static async Task<Results<Ok<IntegrationUser>, ProblemHttpResult>> GetUser(string customerIntegrationId, string userId,
        [AsParameters] TenantCatalog c)
    {
        var (tenant, db, ct) = (c.Tenant, c.Db, c.Aborted);
        if (CheckUserId(userId) is { } bad) return bad;
        var (target, problem) = await FindAsync(customerIntegrationId, c);
        if (problem is not null) return problem;
        var accountId = tenant.AccountId;
        var row = await db.Set<OAuthConnection>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == target!.Row.Id && c.UserId == userId, ct);
        return row is null ? Problems.NotFound("user", userId) : TypedResults.Ok(IntegrationUser.From(row));
    }

    /// <summary>What opening an authorization session uses.</summary>
    public sealed record AuthUrlServices(IStoreWriter Writer, SecretBox Box, IOptions<SwitchboardOptions> Switchboard, IOptions<OAuthOptions> OAuth,
        IHostEnvironment Environment);

    public static async Task<Results<Created<AuthUrlResponse>, ProblemHttpResult>> CreateAuthUrl(string customerIntegrationId, string userId,
        HttpRequest request, [AsParameters] TenantCatalog c, [AsParameters] AuthUrlServices s)
    {
        var (tenant, writer, box, sb, oauth, ct) = (c.Tenant, s.Writer, s.Box, s.Switchboard, s.OAuth, c.Aborted);
        if (CheckUserId(userId) is { } bad) return bad;
        var (body, bodyProblem) = await AuthUrlRequest.ReadAsync(request, RedirectUris.LoopbackHttpAllowed(s.Environment), ct);
        if (bodyProblem is not null) return bodyProblem;
        var redirectUri = body!.RedirectUri;
        var (target, problem) = await FindAsync(customerIntegrationId, c);
        if (problem is not null) return problem;
        if (redirectUri is not null && AllowedRedirectOrigins.Parse(target!.Row.AllowedRedirectOriginsJson) is { } origins
            && !RedirectUris.IsAllowed(redirectUri, origins))
            return Problems.BadRequest("redirect_uri_not_allowed", "redirectUri not allowed",
                $"This integration accepts redirects only to: {string.Join(", ", origins)} (its allowed_redirect_origins).");
        if (target!.Provider.AuthType != AuthTypes.OAuth2)
            return Problems.BadRequest("unsupported_auth_type", "Not an end-user OAuth integration",
                $"Auth URLs are for OAUTH2 providers; '{target.Provider.Name}' uses {target.Provider.AuthType}.");
        if (target.Row.Status != IntegrationStatus.Active) return NotActive(target.Row);
        if (!box.IsAvailable) return Problems.EncryptionUnavailable();

        var accountId = tenant.AccountId;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var handle = await writer.WriteAsync(async (tx, token) =>
                {
                    var started = await OAuthSessions.AddAsync(tx.Db, tenant.Actor, accountId, target.Row, userId, redirectUri,
                        oauth.Value.SessionLifetime, token);
                    await tx.Db.SaveChangesAsync(token);
                    return started;
                }, ct);
                var url = OAuthHandles.StartUrl(sb.Value.PublicBaseUrl, handle);
                return TypedResults.Created((string?)null, new AuthUrlResponse(url));
            }
            // Two first auth URLs for one user raced on the unique (account, integration, user) index (PostgreSQL).
            catch (DbUpdateException) when (attempt < 3 && !ct.IsCancellationRequested)
            {
            }
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(string customerIntegrationId, string userId,
        [AsParameters] TenantCatalog c, IStoreWriter writer, SecretBox box, TokenClient tokens)
    {
        var (tenant, db, catalog, ct) = (c.Tenant, c.Db, c.Catalog, c.Aborted);
        if (CheckUserId(userId) is { } bad) return bad;
        var (target, problem) = await FindAsync(customerIntegrationId, c);
        if (problem is not null) return problem;
        var accountId = tenant.AccountId;
        var row = await db.Set<OAuthConnection>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == target!.Row.Id && c.UserId == userId, ct);
        if (row is null) return Problems.NotFound("user", userId);
        if ((row.RefreshToken is not null || row.AccessToken is not null) && !box.IsAvailable) return Problems.EncryptionUnavailable();

        var revoked = new List<string>();
        string? blockedHost = null;
        if (target!.Provider.Oauth?.RevokeUrl is { } revokeTemplate && (row.RefreshToken ?? row.AccessToken) is not null)
        {
            var app = await IntegrationApp.LoadAsync(db, catalog, box, accountId, target.Row.Id, ct);
            // A revoke URL that cannot be built revokes nothing; the user is deleted all the same.
            if (app?.Url(revokeTemplate)?.AbsoluteUri is { } url)
            {
                // Revoking the refresh token ends the whole grant at most providers; the access token is revoked too when there is no refresh token.
                foreach (var (sealedToken, hint) in new[] { (row.RefreshToken, "refresh_token"), (row.AccessToken, "access_token") })
                {
                    if (sealedToken is null || blockedHost is not null) continue;
                    var result = await tokens.RevokeAsync(url, app.ClientId, app.ClientSecret, SealedFields.Token(hint).Open(box, row), hint, ct);
                    if (result.Revoked) revoked.Add(hint);
                    blockedHost = result.BlockedHost;
                }
            }
        }
        await writer.WriteAsync(async (tx, token) =>
        {
            await tx.Db.Set<OAuthSession>().Where(s => s.AccountId == accountId && s.ConnectionId == row.Id).ExecuteDeleteAsync(token);
            await tx.Db.Set<OAuthConnection>().Where(c => c.AccountId == accountId && c.Id == row.Id).ExecuteDeleteAsync(token);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "oauth.user.deleted", row.ProjectId, target.Provider.Name, row.Id.ToString(),
                new { user_id = userId, revoked_at_provider = revoked, before = new { status = row.Status } });
            EventOutbox.Add(tx, new(EventTypes.ConnectionDeleted, new EventData(accountId, row.ProjectId)
            {
                IntegrationId = row.IntegrationId.ToString(), Provider = target.Provider.Name, EndUserId = userId,
                ConnectionId = row.Id.ToString(), PreviousStatus = row.Status,
            }));
            // The user is deleted all the same; the refused revocation is on record.
            if (blockedHost is not null)
                AuditLog.OutboundBlocked(tx.Db, tenant.Actor, accountId, row.ProjectId, target.Provider.Name, row.Id.ToString(), "oauth.revoke", blockedHost);
            await tx.Db.SaveChangesAsync(token);
        }, ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> GetUserCredentials(string customerIntegrationId, string userId,
        [AsParameters] TenantCatalog c, CredentialService credentials)
    {
        if (CheckUserId(userId) is { } bad) return bad;
        var (found, provider, problem) = await FindWithConnectionAsync(customerIntegrationId, userId, c, credentials);
        if (problem is not null) return problem;
        return Answer(await credentials.ForUserAsync(c.Db, found!, provider!, userId, c.Tenant.Actor, c.Aborted), provider!);
    }

    public static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> GetIntegrationCredentials(string customerIntegrationId,
        [AsParameters] TenantCatalog c, CredentialService credentials)
    {
        var (found, provider, problem) = await FindWithConnectionAsync(customerIntegrationId, "", c, credentials);
        if (problem is not null) return problem;
        return Answer(await credentials.ForIntegrationAsync(c.Db, found!.Integration, provider!, c.Tenant.Actor, c.Aborted, machine: found.Connection), provider!);
    }

    private static Results<Ok<CredentialsResponse>, ProblemHttpResult> Answer(CredentialResult result, ProviderDefinition provider) =>
        result.Value is { } credential
            ? TypedResults.Ok(CredentialsResponse.From(credential, provider.AuthType))
            : (result.Failure ?? new CredentialFailure(CredentialFailureKind.ProviderUnavailable, Detail: "No token was handed out; retry.")).ToProblem();
}

public sealed record AuthUrlResponse([property: JsonPropertyName("authorizeUrl")] string AuthorizeUrl);

public sealed record IntegrationUser(
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("scopes")] string[] Scopes,
    [property: JsonPropertyName("expiresAt")] DateTime? ExpiresAt,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("updatedAt")] DateTime UpdatedAt,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt)
{
    public static IntegrationUser From(OAuthConnection c) => new(c.UserId, c.Status == ConnectionStatus.Active, c.Status,
        SplitScopes(c.Scopes), c.ExpiresAt, c.LastError, c.UpdatedAt, c.CreatedAt);

    public static string[] SplitScopes(string? scopes) =>
        string.IsNullOrWhiteSpace(scopes) ? [] : scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
}

public sealed record UserList(
    [property: JsonPropertyName("users")] IReadOnlyList<IntegrationUser> Users,
    [property: JsonPropertyName("nextCursor")] string? NextCursor);

public sealed record CredentialsResponse(
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("accessToken")] string? AccessToken,
    [property: JsonPropertyName("tokenType")] string? TokenType,
    [property: JsonPropertyName("expiresAt")] DateTime? ExpiresAt,
    [property: JsonPropertyName("scopes")] string[] Scopes,
    [property: JsonPropertyName("aws")] AwsCredentialsBlob? Aws)
{
    public static CredentialsResponse From(Credential c, string authType)
    {
        var user = c.UserId.Length == 0 ? null : c.UserId;
        if (authType == AuthTypes.AwsAssumeRole)
            return new(user, "aws", null, null, c.ExpiresAt, [], JsonSerializer.Deserialize<AwsCredentialsBlob>(c.AccessToken));
        return new(user, "oauth2", c.AccessToken, c.TokenType ?? "Bearer", c.ExpiresAt, IntegrationUser.SplitScopes(c.Scopes), null);
    }
}
