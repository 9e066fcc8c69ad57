using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Crypto;
using Switchboard.Data;
using Switchboard.Errors;
using Switchboard.Providers;

namespace Switchboard.OAuth;

/// <summary>
/// The browser legs of the authorization-code flow. They carry no API key: the single-use start handle and the
/// single-use state are what find the session (so these lookups are by hash, then everything else by its account).
/// </summary>
public static class OAuthFlowEndpoints
{
    public static IEndpointRouteBuilder MapOAuthFlow(this IEndpointRouteBuilder api)
    {
        var g = api.MapGroup("/oauth").WithTags("OAuth flow").AllowAnonymous();
        g.MapGet("/start/{handle}", Start).WithName("OAuthStart")
            .WithSummary("Single-use start URL (the authorizeUrl): redirects the browser to the provider's consent page");
        g.MapGet("/callback", Callback).WithName("OAuthCallback")
            .WithSummary("The redirect URI to register with providers: checks state, exchanges the code, stores the tokens");
        return api;
    }

    public static async Task<IResult> Start(string handle, HttpContext http, SwitchboardDb db, AccountCatalog catalog, SecretBox box,
        IOptions<SwitchboardOptions> sb, ILogger<OAuthFlowMarker> logger, CancellationToken ct)
    {
        if (handle.Length > 100) return Problems.NotFound("authorization session", handle);
        var hash = OAuthFlow.Hash(handle);
        var session = await db.Set<OAuthSession>().AsNoTracking().FirstOrDefaultAsync(s => s.StartTokenHash == hash, ct);
        if (session is null) return Problems.NotFound("authorization session", handle);
        var now = DateTime.UtcNow;
        if (session.StartedAt is not null) return await FailAsync(db, http, session, "session_used", null, ct);
        if (session.ExpiresAt <= now) return await FailAsync(db, http, session, "session_expired", null, ct);
        if (!box.IsAvailable) return Problems.EncryptionUnavailable();

        var app = await IntegrationApp.LoadAsync(db, catalog, box, session.AccountId, session.IntegrationId, ct);
        if (app?.Provider.Oauth?.AuthorizeUrl is not { } authorizeTemplate || app.Provider.AuthType != AuthTypes.OAuth2)
            return await FailAsync(db, http, session, "integration_unavailable", null, ct);

        var state = OAuthFlow.NewHandle();
        var oauth = app.Provider.Oauth;
        string? verifier = oauth.Pkce ? OAuthFlow.NewHandle() + OAuthFlow.NewHandle()[..20] : null;
        byte[]? sealedVerifier = verifier is null ? null
            : box.EncryptString(verifier, new SecretContext(session.AccountId, OAuthSession.Table, session.Id.ToString(), "code_verifier"));
        var stateHash = OAuthFlow.Hash(state);
        var started = await db.Set<OAuthSession>()
            .Where(s => s.AccountId == session.AccountId && s.Id == session.Id && s.StartedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.StartedAt, now).SetProperty(x => x.StateHash, stateHash)
                .SetProperty(x => x.CodeVerifier, sealedVerifier), ct);
        if (started == 0) return await FailAsync(db, http, session, "session_used", null, ct);

        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"),
            new("client_id", app.ClientId),
            new("redirect_uri", OAuthFlow.CallbackUrl(sb.Value.PublicBaseUrl)),
            new("state", state),
        };
        if (oauth.DefaultScopes.Count > 0) query.Add(new("scope", string.Join(oauth.ScopeSeparator, oauth.DefaultScopes)));
        if (verifier is not null)
        {
            query.Add(new("code_challenge", OAuthFlow.Challenge(verifier)));
            query.Add(new("code_challenge_method", "S256"));
        }
        foreach (var (k, v) in oauth.ExtraAuthorizeParams ?? []) query.Add(new(k, app.Fill(v)));
        logger.LogInformation("OAuth session {Session} started for connection {Connection}", session.Id, session.ConnectionId);
        return TypedResults.Redirect(OAuthFlow.WithQuery(app.Fill(authorizeTemplate), query));
    }

    public static async Task<IResult> Callback(HttpContext http, SwitchboardDb db, AccountCatalog catalog, SecretBox box, TokenClient tokens,
        IOptions<SwitchboardOptions> sb, ILogger<OAuthFlowMarker> logger, CancellationToken ct)
    {
        var q = http.Request.Query;
        var state = q["state"].ToString();
        if (state.Length is 0 or > 200)
        {
            logger.LogWarning("OAuth callback without a usable state");
            return Problems.BadRequest("invalid_state", "Invalid state", "The callback carries no valid state; start again from a new auth URL.");
        }
        var hash = OAuthFlow.Hash(state);
        var session = await db.Set<OAuthSession>().AsNoTracking().FirstOrDefaultAsync(s => s.StateHash == hash, ct);
        if (session is null)
        {
            // Unknown (tampered or forged) state: nothing to attribute it to, and never a token request.
            logger.LogWarning("OAuth callback with an unknown state");
            return Problems.BadRequest("invalid_state", "Invalid state", "The callback's state matches no authorization session.");
        }
        var now = DateTime.UtcNow;
        var completed = await db.Set<OAuthSession>()
            .Where(s => s.AccountId == session.AccountId && s.Id == session.Id && s.CompletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CompletedAt, now), ct);
        if (completed == 0) return await FailAsync(db, http, session, "state_replayed", null, ct);
        if (session.ExpiresAt <= now) return await FailAsync(db, http, session, "session_expired", null, ct);

        if (q["error"].ToString() is { Length: > 0 } providerError)
            return await FailAsync(db, http, session, TokenClient.SafeCode(providerError) ?? "provider_error", null, ct);
        var code = q["code"].ToString();
        if (code.Length is 0 or > 4096) return await FailAsync(db, http, session, "invalid_request", null, ct);
        if (!box.IsAvailable) return await FailAsync(db, http, session, "encryption_unavailable", null, ct);

        var app = await IntegrationApp.LoadAsync(db, catalog, box, session.AccountId, session.IntegrationId, ct);
        if (app?.Provider.Oauth?.AuthorizeUrl is not { } authorizeTemplate)
            return await FailAsync(db, http, session, "integration_unavailable", null, ct);
        if (q["iss"].ToString() is { Length: > 0 } iss && !OAuthFlow.IssuerMatches(iss, app.Fill(authorizeTemplate)))
            return await FailAsync(db, http, session, "issuer_mismatch", app.Provider.Name, ct);

        var verifier = session.CodeVerifier is null ? null
            : box.DecryptString(session.CodeVerifier, new SecretContext(session.AccountId, OAuthSession.Table, session.Id.ToString(), "code_verifier"));
        var outcome = await tokens.ExchangeCodeAsync(app.Fill(app.Provider.Oauth.TokenUrl), app.ClientId, app.ClientSecret, code,
            OAuthFlow.CallbackUrl(sb.Value.PublicBaseUrl), verifier, ct);
        if (outcome.Tokens is not { } t)
        {
            var reason = outcome.Failure!.Kind switch
            {
                TokenFailureKind.Transient => "provider_unavailable",
                TokenFailureKind.Blocked => TokenOutcome.OutboundBlocked,
                _ => "token_exchange_failed",
            };
            return await FailAsync(db, http, session, reason, app.Provider.Name, ct, outcome.Failure.Error, outcome.Failure.BlockedHost);
        }

        var connection = await db.Set<OAuthConnection>()
            .FirstOrDefaultAsync(c => c.AccountId == session.AccountId && c.Id == session.ConnectionId, ct);
        if (connection is null) return await FailAsync(db, http, session, "user_deleted", app.Provider.Name, ct);
        var before = connection.Status;
        var ctx = connection.Context;
        connection.AccessToken = box.EncryptString(t.AccessToken, ctx.Field("access_token"));
        connection.RefreshToken = t.RefreshToken is null ? null : box.EncryptString(t.RefreshToken, ctx.Field("refresh_token"));
        connection.TokenType = t.TokenType;
        connection.ExpiresAt = t.ExpiresAt;
        connection.Scopes = t.Scope ?? string.Join(" ", app.Provider.Oauth.DefaultScopes);
        connection.Status = ConnectionStatus.Active;
        connection.Generation++;
        connection.LeaseOwner = null;
        connection.LeaseUntil = null;
        connection.FailureCount = 0;
        connection.FirstFailureAt = null;
        connection.NextAttemptAt = null;
        connection.LastError = null;
        connection.ConnectedAt = now;
        connection.UpdatedAt = now;
        AuditLog.Record(db, http, session.AccountId, "oauth.user.connected", session.ProjectId, app.Provider.Name, connection.Id.ToString(),
            new { user_id = connection.UserId, session_id = session.Id, before = new { status = before }, after = new { status = connection.Status },
                scopes = connection.Scopes, has_refresh_token = t.RefreshToken is not null, expires_at = t.ExpiresAt });
        await db.SaveChangesAsync(ct);
        logger.LogInformation("OAuth session {Session} connected user of connection {Connection}", session.Id, connection.Id);
        return Finish(session.RedirectUri, null);
    }

    private static async Task<IResult> FailAsync(SwitchboardDb db, HttpContext http, OAuthSession session, string error, string? provider,
        CancellationToken ct, string? providerError = null, string? blockedHost = null)
    {
        db.ChangeTracker.Clear();
        var connection = await db.Set<OAuthConnection>()
            .FirstOrDefaultAsync(c => c.AccountId == session.AccountId && c.Id == session.ConnectionId, ct);
        // A failed re-authorisation leaves a working connection alone; a user never connected is marked error.
        if (connection is { Status: ConnectionStatus.Pending })
        {
            connection.Status = ConnectionStatus.Error;
            connection.LastError = error;
            connection.UpdatedAt = DateTime.UtcNow;
        }
        AuditLog.Record(db, http, session.AccountId, "oauth.callback.failed", session.ProjectId, provider, session.ConnectionId.ToString(),
            new { user_id = connection?.UserId, session_id = session.Id, error, provider_error = providerError });
        if (blockedHost is not null)
            AuditLog.OutboundBlocked(db, http, session.AccountId, session.ProjectId, provider, session.ConnectionId.ToString(), "oauth.code_exchange", blockedHost);
        await db.SaveChangesAsync(ct);
        return Finish(session.RedirectUri, error);
    }

    private static IResult Finish(string? redirectUri, string? error)
    {
        if (redirectUri is not null)
        {
            var query = error is null
                ? new[] { new KeyValuePair<string, string>("status", "success") }
                : [new("status", "error"), new("error", error)];
            return TypedResults.Redirect(OAuthFlow.WithQuery(redirectUri, query));
        }
        var (title, text) = error is null
            ? ("Connected", "The connection was authorised. You can close this window.")
            : ("Connection failed", $"The connection could not be authorised ({WebUtility.HtmlEncode(error)}). Close this window and try again.");
        var html = $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>";
        // A page for people: 200 either way (error codes in a 4xx body would have to be problem+json).
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }
}

/// <summary>Log category of the OAuth browser flow.</summary>
public sealed class OAuthFlowMarker;
