using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Accounts;
using Switchboard.ApiKeys;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Crypto;
using Switchboard.Data;
using Switchboard.Errors;
using Switchboard.Idempotency;
using Switchboard.Http;
using Switchboard.Integrations;
using Switchboard.Providers;
using Switchboard.Telemetry;

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

    private static async Task<(Target?, ProblemHttpResult?)> FindAsync(string customerIntegrationId, ClaimsPrincipal user, SwitchboardDb db,
        ProjectLookup projects, AccountCatalog catalog, CancellationToken ct)
    {
        if (!Guid.TryParse(customerIntegrationId, out var id)) return (null, Problems.IntegrationNotFound(customerIntegrationId));
        var accountId = user.AccountId();
        var projectId = await projects.ProjectForAsync(user, db, ct);
        var (row, provider) = await IntegrationApp.FindAsync(db, catalog, accountId, id, ct);
        if (row is null || provider is null || row.ProjectId != projectId) return (null, Problems.IntegrationNotFound(customerIntegrationId));
        return (new Target(row, provider), null);
    }

    private static ProblemHttpResult? CheckUserId(string userId) =>
        userId.Length is 0 or > MaxUserIdLength || userId.Any(char.IsControl)
            ? Problems.BadRequest("invalid_user_id", "Invalid userId", $"userId must be 1 to {MaxUserIdLength} characters without control characters.")
            : null;

    private static ProblemHttpResult NotActive(Integration row) =>
        Problems.Make(409, "integration_not_active", "Integration not active",
            $"The integration is '{row.Status}'; credentials are only served for active integrations.",
            new Dictionary<string, object?> { ["integration_status"] = row.Status });

    public static async Task<Results<Ok<UserList>, ProblemHttpResult>> ListUsers(string customerIntegrationId, string? cursor, string? limit,
        ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog, CancellationToken ct)
    {
        var (pageSize, after, pageProblem) = Paging.Parse(limit, cursor, "nextCursor");
        if (pageProblem is not null) return pageProblem;
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
        if (problem is not null) return problem;
        var accountId = user.AccountId();
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
        ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog, CancellationToken ct)
    {
        if (CheckUserId(userId) is { } bad) return bad;
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
        if (problem is not null) return problem;
        var accountId = user.AccountId();
        var row = await db.Set<OAuthConnection>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == target!.Row.Id && c.UserId == userId, ct);
        return row is null ? Problems.NotFound("user", userId) : TypedResults.Ok(IntegrationUser.From(row));
    }

    public static async Task<Results<Created<AuthUrlResponse>, ProblemHttpResult>> CreateAuthUrl(string customerIntegrationId, string userId,
        HttpRequest request, ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog, SecretBox box,
        IOptions<SwitchboardOptions> sb, IOptions<OAuthOptions> oauth, IHostEnvironment environment, CancellationToken ct)
    {
        if (CheckUserId(userId) is { } bad) return bad;
        var body = await JsonBody.ReadAsync(request, allowEmpty: true, ct);
        if (body.Problem is not null) return body.Problem;
        string? redirectUri = null;
        if (body.Root is { } root)
        {
            if (root.ValueKind != JsonValueKind.Object)
                return Problems.Validation([new FieldError("$", "wrong_type", "The body must be a JSON object.")]);
            if (root.TryGetProperty("redirectUri", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                if (r.ValueKind != JsonValueKind.String)
                    return Problems.Validation([new FieldError("redirectUri", "wrong_type", "redirectUri must be a string.")]);
                redirectUri = r.GetString()!;
                if (RedirectUris.Problem(redirectUri, RedirectUris.LoopbackHttpAllowed(environment)) is { } why)
                    return Problems.BadRequest("invalid_redirect_uri", "Invalid redirectUri", $"redirectUri {why}.");
            }
        }
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
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

        var accountId = user.AccountId();
        for (var attempt = 1; ; attempt++)
        {
            var handle = await OAuthSessions.AddAsync(db, request.HttpContext, accountId, target.Row, userId, redirectUri,
                oauth.Value.SessionLifetime, ct);
            try
            {
                await db.SaveChangesAsync(ct);
                var url = OAuthFlow.StartUrl(sb.Value.PublicBaseUrl, handle);
                return TypedResults.Created((string?)null, new AuthUrlResponse(url));
            }
            catch (DbUpdateException) when (attempt < 3 && !ct.IsCancellationRequested)
            {
                // Two first auth URLs for one user raced on the unique (account, integration, user) index.
                db.ChangeTracker.Clear();
            }
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(string customerIntegrationId, string userId,
        HttpContext http, ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog, SecretBox box,
        TokenClient tokens, CancellationToken ct)
    {
        if (CheckUserId(userId) is { } bad) return bad;
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
        if (problem is not null) return problem;
        var accountId = user.AccountId();
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
                    var result = await tokens.RevokeAsync(url, app.ClientId, app.ClientSecret, box.DecryptString(sealedToken, row.Context.Field(hint)), hint, ct);
                    if (result.Revoked) revoked.Add(hint);
                    blockedHost = result.BlockedHost;
                }
            }
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Set<OAuthSession>().Where(s => s.AccountId == accountId && s.ConnectionId == row.Id).ExecuteDeleteAsync(ct);
        await db.Set<OAuthConnection>().Where(c => c.AccountId == accountId && c.Id == row.Id).ExecuteDeleteAsync(ct);
        AuditLog.Record(db, http, accountId, "oauth.user.deleted", row.ProjectId, target.Provider.Name, row.Id.ToString(),
            new { user_id = userId, revoked_at_provider = revoked, before = new { status = row.Status } });
        // The user is deleted all the same; the refused revocation is on record.
        if (blockedHost is not null)
            AuditLog.OutboundBlocked(db, http, accountId, row.ProjectId, target.Provider.Name, row.Id.ToString(), "oauth.revoke", blockedHost);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> GetUserCredentials(string customerIntegrationId, string userId,
        HttpContext http, ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog,
        CredentialService credentials, IOptions<OAuthOptions> oauth, CancellationToken ct)
    {
        if (CheckUserId(userId) is { } bad) return bad;
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
        if (problem is not null) return problem;
        if (target!.Provider.AuthType != AuthTypes.OAuth2)
            return await MachineCredentials(target, http, user, db, credentials, oauth, ct);
        if (target.Row.Status != IntegrationStatus.Active) return NotActive(target.Row);
        var accountId = user.AccountId();
        var connectionId = await db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.AccountId == accountId && c.IntegrationId == target.Row.Id && c.UserId == userId)
            .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        if (connectionId is null) return Problems.NotFound("user", userId);
        var (value, failure) = await credentials.GetAsync(db, http, accountId, connectionId.Value, oauth.Value.RefreshMargin,
            CredentialService.Trigger.Read, ct);
        if (failure is not null) return failure;
        await AuditRead(db, http, accountId, target, connectionId.Value, userId, ct);
        return TypedResults.Ok(CredentialsResponse.From(value!, target.Provider.AuthType));
    }

    public static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> GetIntegrationCredentials(string customerIntegrationId,
        HttpContext http, ClaimsPrincipal user, SwitchboardDb db, ProjectLookup projects, AccountCatalog catalog,
        CredentialService credentials, IOptions<OAuthOptions> oauth, CancellationToken ct)
    {
        var (target, problem) = await FindAsync(customerIntegrationId, user, db, projects, catalog, ct);
        if (problem is not null) return problem;
        return await MachineCredentials(target!, http, user, db, credentials, oauth, ct);
    }

    private static async Task<Results<Ok<CredentialsResponse>, ProblemHttpResult>> MachineCredentials(Target target, HttpContext http,
        ClaimsPrincipal user, SwitchboardDb db, CredentialService credentials, IOptions<OAuthOptions> oauth, CancellationToken ct)
    {
        if (target.Provider.AuthType is not (AuthTypes.OAuth2ClientCredentials or AuthTypes.GoogleServiceAccount or AuthTypes.AwsAssumeRole))
            return Problems.BadRequest("unsupported_auth_type", "No token for this integration",
                $"'{target.Provider.Name}' uses {target.Provider.AuthType}; tokens are served for OAuth, service-account and assume-role integrations.");
        if (target.Row.Status != IntegrationStatus.Active) return NotActive(target.Row);
        var accountId = user.AccountId();
        var id = await MachineConnectionAsync(db, accountId, target.Row, ct);
        var (value, failure) = await credentials.GetAsync(db, http, accountId, id, oauth.Value.RefreshMargin, CredentialService.Trigger.Read, ct);
        if (failure is not null) return failure;
        await AuditRead(db, http, accountId, target, id, null, ct);
        return TypedResults.Ok(CredentialsResponse.From(value!, target.Provider.AuthType));
    }

    /// <summary>The integration's machine-token row (UserId ""), created on first use.</summary>
    private static async Task<Guid> MachineConnectionAsync(SwitchboardDb db, string accountId, Integration integration, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = await db.Set<OAuthConnection>().AsNoTracking()
                .Where(c => c.AccountId == accountId && c.IntegrationId == integration.Id && c.UserId == "")
                .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
            if (id is not null) return id.Value;
            var now = DateTime.UtcNow;
            var row = new OAuthConnection
            {
                Id = Guid.CreateVersion7(), AccountId = accountId, ProjectId = integration.ProjectId, IntegrationId = integration.Id,
                UserId = "", Status = ConnectionStatus.Active, CreatedAt = now, UpdatedAt = now,
            };
            db.Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
                return row.Id;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static async Task AuditRead(SwitchboardDb db, HttpContext http, string accountId, Target target, Guid connectionId, string? userId,
        CancellationToken ct)
    {
        AuditLog.Record(db, http, accountId, "credentials.read", target.Row.ProjectId, target.Provider.Name, connectionId.ToString(),
            new { user_id = userId, integration_id = target.Row.Id });
        await db.SaveChangesAsync(ct);
        SwitchboardMetrics.CredentialReads.Add(1);
    }
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
