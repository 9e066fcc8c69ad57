using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>
/// Accepts "Authorization: Bearer sk_live_…", "X-API-Key: sk_live_…", or the operator's admin token
/// (Bearer) together with X-Account-ID. Failures are answered as problem+json. Failed attempts are counted per client
/// address (<see cref="LoginThrottle"/>); past the limit the answer is 429 and no database lookup is made.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<SwitchboardOptions> options,
    ApiKeyCache cache,
    ApiKeyUsage usage,
    LoginThrottle throttle,
    ProjectResolver projects) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string FailureItem = "sb:auth-failure";
    private const string Throttled = "rate_limited";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = PresentedToken(Request);
        if (token is null) return Fail("missing_credentials");

        var admin = options.Value.AdminToken;
        if (!string.IsNullOrEmpty(admin) && FixedEquals(token, admin))
            return await AuthenticateAdminAsync();

        if (!ApiKeyFormat.TryParse(token, out var accountFromKey)) return Failed("invalid_api_key");

        var hash = ApiKeyFormat.Hash(token);
        if (!cache.TryGetCached(hash, out var key))
        {
            // Only the database can tell now. A client past its failure limit is not given that lookup, unless this key
            // authenticated here before (so a flood of guesses from an address does not lock out its valid keys).
            if (throttle.IsThrottled(Context) && !cache.WasValid(hash)) return Fail(Throttled);
            var db = Context.RequestServices.GetRequiredService<SwitchboardDb>();
            key = await cache.LoadAsync(hash, db, Context.RequestAborted);
        }
        if (key is null || key.AccountId != accountFromKey) return Failed("invalid_api_key");
        if (key.RevokedAt is not null) return Failed("revoked_api_key");

        usage.Touch(key.Id, key.AccountId);
        var claims = new List<Claim>
        {
            new(SwitchboardClaimTypes.AccountId, key.AccountId),
            new(SwitchboardClaimTypes.KeyId, key.Id),
        };
        if (key.ProjectId is not null) claims.Add(new(SwitchboardClaimTypes.ProjectId, key.ProjectId));
        claims.AddRange(key.Scopes.Select(s => new Claim(SwitchboardClaimTypes.Scope, s)));
        var projectId = key.ProjectId ?? await projects.DefaultProjectAsync(Context.RequestServices, key.AccountId, Context.RequestAborted);
        Context.RequestServices.GetRequiredService<Tenant>().Authenticated(key.AccountId, key.Id, key.Scopes, key.ProjectId, projectId, Context);
        return Success(claims);
    }

    /// <summary>A failed attempt: counted against the client, or 429 when it is already past its limit.</summary>
    private AuthenticateResult Failed(string code)
    {
        if (throttle.IsThrottled(Context)) return Fail(Throttled);
        throttle.RecordFailure(Context);
        return Fail(code);
    }

    private async Task<AuthenticateResult> AuthenticateAdminAsync()
    {
        var accountId = Request.Headers["X-Account-ID"].ToString();
        if (string.IsNullOrWhiteSpace(accountId)) return Fail("missing_account_header");
        var db = Context.RequestServices.GetRequiredService<SwitchboardDb>();
        if (accountId.Length > 40 || !await db.Accounts.AsNoTracking().AnyAsync(a => a.Id == accountId, Context.RequestAborted))
            return Fail("account_not_found");
        var projectId = await projects.DefaultProjectAsync(Context.RequestServices, accountId, Context.RequestAborted);
        Context.RequestServices.GetRequiredService<Tenant>().Authenticated(accountId, null, [Scopes.Admin], null, projectId, Context);
        return Success([new(SwitchboardClaimTypes.AccountId, accountId), new(SwitchboardClaimTypes.Scope, Scopes.Admin)]);
    }

    private AuthenticateResult Success(List<Claim> claims)
    {
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AuthenticateResult Fail(string code)
    {
        Context.Items[FailureItem] = code;
        return code == "missing_credentials" ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(code);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var code = Context.Items[FailureItem] as string ?? "missing_credentials";
        if (code == Throttled)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(throttle.RetryAfter.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Make(429, "rate_limited", "Too many failed authentications",
                $"This client has made too many failed authentication attempts. Retry after {seconds} s.",
                new Dictionary<string, object?> { ["retry_after"] = seconds }).ExecuteAsync(Context);
        }
        var problem = code switch
        {
            "missing_account_header" => Problems.Make(400, "missing_account_header", "Missing X-Account-ID header",
                "The admin token acts on the account named by the X-Account-ID header."),
            "account_not_found" => Problems.Make(404, "account_not_found", "Account not found", "No account has the id given in X-Account-ID."),
            "revoked_api_key" => Problems.Make(401, "revoked_api_key", "API key revoked", "This API key has been revoked."),
            "invalid_api_key" => Problems.Make(401, "invalid_api_key", "Invalid API key", "The API key is malformed, mistyped or unknown."),
            _ => Problems.Make(401, "missing_credentials", "Missing credentials",
                "Send an API key as 'Authorization: Bearer sk_live_…' or 'X-API-Key: sk_live_…'."),
        };
        if (problem.StatusCode == 401)
            Response.Headers.WWWAuthenticate = Context.GetEndpoint()?.Metadata.GetMetadata<BearerChallenge>()?.Header ?? "Bearer";
        return problem.ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var metadata = Context.GetEndpoint()?.Metadata;
        var needed = metadata?.GetMetadata<RequiredScope>()?.Scope ?? "another scope";
        var detail = Context.User.HasScope(needed) && metadata?.GetMetadata<AccountWideWrite>() is not null && Context.User.RestrictedProjectId() is { } project
            ? $"This endpoint changes resources of the whole account; this key is restricted to project '{project}'. Use a key that is not restricted to a project."
            : $"This endpoint needs the '{needed}' scope.";
        return Problems.Make(403, "insufficient_scope", "Insufficient scope", detail).ExecuteAsync(Context);
    }

    private static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        var apiKey = request.Headers["X-API-Key"].ToString();
        return string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim();
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}

/// <summary>Endpoint metadata naming the scope a route needs (for the 403 message and the OpenAPI doc).</summary>
public sealed record RequiredScope(string Scope);

/// <summary>Endpoint metadata: the WWW-Authenticate value a 401 of this route carries (e.g. with RFC 9728 resource_metadata).</summary>
public sealed record BearerChallenge(string Header);

/// <summary>Endpoint metadata: the route creates, changes or deletes something of the whole account (not of one project).</summary>
public sealed record AccountWideWrite;

public static class ScopeEndpointExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiredScope(scope));
        return builder.RequireAuthorization(p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => ctx.User.HasScope(scope)));
    }

    /// <summary>
    /// The route writes an account-wide resource (a custom provider, a project): a key restricted to one project is
    /// refused with 403 insufficient_scope, whatever its scopes, so it cannot reach beyond its project.
    /// </summary>
    public static TBuilder AccountWide<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AccountWideWrite());
        return builder.RequireAuthorization(p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => ctx.User.RestrictedProjectId() is null));
    }
}
