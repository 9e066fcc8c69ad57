using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Events;

namespace Switchboard.OAuth;

/// <summary>
/// The browser legs of the authorization-code flow. They carry no API key: the single-use start handle and the
/// single-use state are what find the session (so these lookups are by hash, then everything else by its account).
/// Once a leg has used up its handle, the flow ends in a recorded outcome whatever happens: success, or a failure with
/// the connection's lastError set and <c>oauth.callback.failed</c> audited; a reload shows that outcome again.
/// </summary>
public static class OAuthFlowEndpoints
{
    public static IEndpointRouteBuilder MapOAuthFlow(this IEndpointRouteBuilder api)
    {
        var g = api.MapGroup("/oauth").WithTags("OAuth flow").AllowAnonymous();
        g.MapGet("/start/{handle}", Start).WithName("OAuthStart").WithHostedPageHeaders()
            .WithSummary("Single-use start URL (the authorizeUrl): redirects the browser to the provider's consent page");
        g.MapGet("/callback", Callback).WithName("OAuthCallback").WithHostedPageHeaders()
            .WithSummary("The redirect URI to register with providers: checks state, exchanges the code, stores the tokens");
        return api;
    }

    /// <summary>What the browser legs use.</summary>
    public sealed record FlowServices(SwitchboardDb Db, IStoreWriter Writer, AccountCatalog Catalog, SecretBox Box, TokenClient Tokens,
        IOptions<SwitchboardOptions> Switchboard, IOptions<OAuthOptions> OAuth, ILogger<OAuthFlowMarker> Logger, CancellationToken Aborted);

    public static async Task<IResult> Start(string handle, HttpContext http, [AsParameters] FlowServices s)
    {
        var (db, writer, catalog, box, sb, logger, ct) = (s.Db, s.Writer, s.Catalog, s.Box, s.Switchboard, s.Logger, s.Aborted);
        var hash = OAuthHandles.Hash(handle);
        var session = handle.Length > 100 ? null
            : await db.Set<OAuthSession>().AsNoTracking().FirstOrDefaultAsync(s => s.StartTokenHash == hash, ct);
        if (session is null)
            return OAuthPages.Refusal(http, 404, "authorization_session_not_found", "Authorization link not found",
                "This authorization link does not exist. Check that you copied all of it, or start again from the application.");
        var now = DateTime.UtcNow;
        if (session.StartedAt is not null) return await ReplayAsync(db, writer, http, session, Leg.Start, wait: null, ct);
        if (session.ExpiresAt <= now) return await FailAsync(writer, http, session, "session_expired", null, ct);
        // Nothing is used up yet: the link still works once encryption is back.
        if (!box.IsAvailable)
            return OAuthPages.Refusal(http, 503, "encryption_unavailable", "Secret encryption service unavailable",
                "The service cannot start an authorization right now. Try the same link again shortly.");

        var (row, provider) = await IntegrationApp.FindAsync(db, catalog, session.AccountId, session.IntegrationId, ct);
        if (row is null || provider?.Oauth?.AuthorizeUrl is not { } authorizeTemplate || provider.AuthType != AuthTypes.OAuth2)
            return await FailAsync(writer, http, session, "integration_unavailable", provider?.Name, ct);
        if (row.Status != IntegrationStatus.Active)
            return await FailAsync(writer, http, session, "integration_not_active", provider.Name, ct);
        var app = IntegrationApp.WithoutSecrets(row, provider);
        // A Location header is ASCII: a host stored before declared URLs had to be (e.g. "bücher.example") cannot be sent.
        if (app.Url(authorizeTemplate) is not { } authorizeUrl || !authorizeUrl.AbsoluteUri.All(char.IsAscii))
            return await FailAsync(writer, http, session, "invalid_provider_url", provider.Name, ct);

        var state = OAuthHandles.New();
        var oauth = provider.Oauth;
        string? verifier = oauth.Pkce ? OAuthHandles.New() + OAuthHandles.New()[..20] : null;
        byte[]? sealedVerifier = verifier is null ? null
            : SealedFields.CodeVerifier.Seal(box, session, verifier);
        var stateHash = OAuthHandles.Hash(state);
        var started = await writer.WriteAsync((tx, token) => tx.Db.Set<OAuthSession>()
            .Where(s => s.AccountId == session.AccountId && s.Id == session.Id && s.StartedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.StartedAt, now).SetProperty(x => x.StateHash, stateHash)
                .SetProperty(x => x.CodeVerifier, sealedVerifier), token), ct);
        if (started == 0) return await ReplayAsync(db, writer, http, session, Leg.Start, wait: null, ct);

        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"),
            new("client_id", app.ClientId),
            new("redirect_uri", OAuthHandles.CallbackUrl(sb.Value.PublicBaseUrl)),
            new("state", state),
        };
        if (oauth.DefaultScopes.Count > 0) query.Add(new("scope", string.Join(oauth.ScopeSeparator, oauth.DefaultScopes)));
        if (verifier is not null)
        {
            query.Add(new("code_challenge", OAuthFlow.Challenge(verifier)));
            query.Add(new("code_challenge_method", "S256"));
        }
        foreach (var (k, v) in oauth.ExtraAuthorizeParams ?? []) query.Add(new(k, app.FillValue(v)));
        logger.LogInformation("OAuth session {Session} started for connection {Connection}", session.Id, session.ConnectionId);
        return TypedResults.Redirect(OAuthFlow.WithQuery(authorizeUrl.AbsoluteUri, query));
    }

    public static async Task<IResult> Callback(HttpContext http, [AsParameters] FlowServices s)
    {
        var (db, writer, oauthOptions, logger, ct) = (s.Db, s.Writer, s.OAuth, s.Logger, s.Aborted);
        var state = http.Request.Query["state"].ToString();
        var hash = OAuthHandles.Hash(state);
        var session = state.Length is 0 or > 200 ? null
            : await db.Set<OAuthSession>().AsNoTracking().FirstOrDefaultAsync(s => s.StateHash == hash, ct);
        if (session is null)
        {
            // Missing, tampered or forged: nothing to attribute it to, and never a token request.
            logger.LogWarning("OAuth callback with an unknown or missing state");
            return OAuthPages.Refusal(http, 400, "invalid_state", "Invalid state",
                "This page was opened with an authorization response that matches no authorization in progress. Start again from the application.");
        }
        var now = DateTime.UtcNow;
        var claimed = await writer.WriteAsync((tx, token) => tx.Db.Set<OAuthSession>()
            .Where(s => s.AccountId == session.AccountId && s.Id == session.Id && s.CompletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CompletedAt, now), token), ct);
        // A reload (or a second delivery) of a callback already handled: show what the first one ended in.
        if (claimed == 0)
            return await ReplayAsync(db, writer, http, session, Leg.Callback, oauthOptions.Value.TokenRequestTimeout + TimeSpan.FromSeconds(5), ct);

        // The state is used up: from here the flow ends in a recorded outcome, whether or not the browser is still there.
        var work = CancellationToken.None;
        try
        {
            return await CompleteAsync(http, s, session, now, work);
        }
        catch (Exception e)
        {
            var code = e is EncryptionUnavailableException or System.Security.Cryptography.CryptographicException ? "decryption_failed" : "server_error";
            // The type only: messages of lower layers may quote request data.
            logger.LogError("OAuth callback of session {Session} failed: {Type}", session.Id, e.GetType().Name);
            return await FailAsync(writer, http, session, code, null, work);
        }
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, FlowServices s, OAuthSession session, DateTime now, CancellationToken ct)
    {
        var (db, writer, catalog, box, tokens, sb, logger) = (s.Db, s.Writer, s.Catalog, s.Box, s.Tokens, s.Switchboard.Value, s.Logger);
        var q = http.Request.Query;
        if (session.ExpiresAt <= now) return await FailAsync(writer, http, session, "session_expired", null, ct);
        if (q["error"].ToString() is { Length: > 0 } providerError)
            return await FailAsync(writer, http, session, TokenClient.SafeCode(providerError) ?? "provider_error", null, ct);
        var code = q["code"].ToString();
        if (code.Length is 0 or > 4096) return await FailAsync(writer, http, session, "invalid_request", null, ct);
        if (!box.IsAvailable) return await FailAsync(writer, http, session, "encryption_unavailable", null, ct);

        var app = await IntegrationApp.LoadAsync(db, catalog, box, session.AccountId, session.IntegrationId, ct);
        if (app?.Provider.Oauth?.AuthorizeUrl is not { } authorizeTemplate || app.Provider.AuthType != AuthTypes.OAuth2)
            return await FailAsync(writer, http, session, "integration_unavailable", app?.Provider.Name, ct);
        var providerName = app.Provider.Name;
        // Paused, disconnected or uninstalled since the auth URL was made: no token is fetched for it.
        if (app.Row.Status != IntegrationStatus.Active)
            return await FailAsync(writer, http, session, "integration_not_active", providerName, ct);
        if (app.Url(authorizeTemplate) is not { } authorizeUrl || app.Url(app.Provider.Oauth.TokenUrl) is not { } tokenUrl)
            return await FailAsync(writer, http, session, "invalid_provider_url", providerName, ct);
        if (q["iss"].ToString() is { Length: > 0 } iss && !OAuthFlow.IssuerMatches(iss, authorizeUrl.AbsoluteUri))
            return await FailAsync(writer, http, session, "issuer_mismatch", providerName, ct);

        var verifier = session.CodeVerifier is null ? null
            : SealedFields.CodeVerifier.Open(box, session);
        var outcome = await tokens.ExchangeCodeAsync(tokenUrl.AbsoluteUri, app.ClientId, app.ClientSecret, code,
            OAuthHandles.CallbackUrl(sb.PublicBaseUrl), verifier, ct);
        if (outcome.Tokens is not { } t)
        {
            var reason = outcome.Failure!.Kind switch
            {
                TokenFailureKind.Transient => "provider_unavailable",
                TokenFailureKind.Blocked => TokenOutcome.OutboundBlocked,
                _ => "token_exchange_failed",
            };
            return await FailAsync(writer, http, session, reason, providerName, ct, outcome.Failure.Error, outcome.Failure.BlockedHost);
        }

        // Sealed before the write: the writer runs nothing but the write.
        var access = box.EncryptString(t.AccessToken, SealedFields.TokenAad(session.AccountId, session.ConnectionId, "access_token"));
        var refresh = t.RefreshToken is null ? null : box.EncryptString(t.RefreshToken, SealedFields.TokenAad(session.AccountId, session.ConnectionId, "refresh_token"));
        var actor = AuditActor.Anonymous(http);
        var connected = await writer.WriteAsync(async (tx, token) =>
        {
            var connection = await tx.Db.Set<OAuthConnection>()
                .FirstOrDefaultAsync(c => c.AccountId == session.AccountId && c.Id == session.ConnectionId, token);
            if (connection is null) return false;
            var before = connection.Status;
            var firstConnect = connection.ConnectedAt is null;
            connection.AccessToken = access;
            connection.RefreshToken = refresh;
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
            AuditLog.Record(tx.Db, actor, session.AccountId, "oauth.user.connected", session.ProjectId, providerName, connection.Id.ToString(),
                new { user_id = connection.UserId, session_id = session.Id, before = new { status = before }, after = new { status = connection.Status },
                    scopes = connection.Scopes, has_refresh_token = t.RefreshToken is not null, expires_at = t.ExpiresAt });
            // Once per connection: authorising it again later changes its tokens, not its existence.
            if (firstConnect)
                EventOutbox.Add(tx, new(EventTypes.ConnectionCreated, new EventData(session.AccountId, session.ProjectId)
                {
                    IntegrationId = session.IntegrationId.ToString(), Provider = providerName, EndUserId = connection.UserId,
                    ConnectionId = connection.Id.ToString(), Status = connection.Status, PreviousStatus = before,
                }));
            await SetOutcomeAsync(tx.Db, session, OAuthSession.Succeeded, now, token);
            await tx.Db.SaveChangesAsync(token);
            return true;
        }, ct);
        if (!connected) return await FailAsync(writer, http, session, "user_deleted", providerName, ct);
        logger.LogInformation("OAuth session {Session} connected user of connection {Connection}", session.Id, session.ConnectionId);
        return OAuthPages.Finish(http, session.RedirectUri, null, again: false);
    }

    /// <summary>
    /// Ends the session as failed: its outcome recorded (the handle and state are used up, so a reload shows this
    /// again), the connection's lastError set (a connection never completed is marked error; a working one keeps
    /// working), the failure audited.
    /// </summary>
    private static async Task<IResult> FailAsync(IStoreWriter writer, HttpContext http, OAuthSession session, string error, string? provider,
        CancellationToken ct, string? providerError = null, string? blockedHost = null)
    {
        var now = DateTime.UtcNow;
        var actor = AuditActor.Anonymous(http);
        await writer.WriteAsync(async (tx, token) =>
        {
            var connection = await tx.Db.Set<OAuthConnection>()
                .FirstOrDefaultAsync(c => c.AccountId == session.AccountId && c.Id == session.ConnectionId, token);
            if (connection is not null)
            {
                if (connection.Status != ConnectionStatus.Active) connection.Status = ConnectionStatus.Error;
                connection.LastError = error;
                connection.UpdatedAt = now;
            }
            AuditLog.Record(tx.Db, actor, session.AccountId, "oauth.callback.failed", session.ProjectId, provider, session.ConnectionId.ToString(),
                new { user_id = connection?.UserId, session_id = session.Id, error, provider_error = providerError });
            EventOutbox.Add(tx, new(EventTypes.ConnectionFailed, new EventData(session.AccountId, session.ProjectId)
            {
                IntegrationId = session.IntegrationId.ToString(), Provider = provider, EndUserId = connection?.UserId,
                ConnectionId = session.ConnectionId.ToString(), Status = connection?.Status, Error = error,
            }));
            if (blockedHost is not null)
                AuditLog.OutboundBlocked(tx.Db, actor, session.AccountId, session.ProjectId, provider, session.ConnectionId.ToString(), "oauth.code_exchange", blockedHost);
            await SetOutcomeAsync(tx.Db, session, error, now, token);
            await tx.Db.SaveChangesAsync(token);
        }, ct);
        return OAuthPages.Finish(http, session.RedirectUri, error, again: false);
    }

    /// <summary>The first outcome wins; a session ended marks both legs used.</summary>
    private static Task<int> SetOutcomeAsync(SwitchboardDb db, OAuthSession session, string outcome, DateTime now, CancellationToken ct) =>
        db.Set<OAuthSession>()
            .Where(s => s.AccountId == session.AccountId && s.Id == session.Id && s.Outcome == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Outcome, outcome)
                .SetProperty(x => x.StartedAt, x => x.StartedAt ?? now).SetProperty(x => x.CompletedAt, x => x.CompletedAt ?? now), ct);

    /// <summary>
    /// A start link or callback opened again. Nothing is exchanged and the connection is left alone: the browser is shown
    /// how the flow ended (waiting up to <paramref name="wait"/> for a callback still running), or, when it has not
    /// ended, session_used (a start link opened twice) or state_replayed (a callback delivered twice).
    /// </summary>
    private static async Task<IResult> ReplayAsync(SwitchboardDb db, IStoreWriter writer, HttpContext http, OAuthSession session, Leg leg, TimeSpan? wait,
        CancellationToken ct)
    {
        var unfinished = leg == Leg.Start ? "session_used" : "state_replayed";
        var outcome = session.Outcome;
        var until = DateTime.UtcNow + (wait ?? TimeSpan.Zero);
        while (outcome is null)
        {
            outcome = await db.Set<OAuthSession>().AsNoTracking()
                .Where(s => s.AccountId == session.AccountId && s.Id == session.Id).Select(s => s.Outcome).FirstOrDefaultAsync(ct);
            if (outcome is not null || DateTime.UtcNow >= until) break;
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        var actor = AuditActor.Anonymous(http);
        await writer.WriteAsync(async (tx, token) =>
        {
            AuditLog.Record(tx.Db, actor, session.AccountId, "oauth.session.replayed", session.ProjectId, null, session.ConnectionId.ToString(),
                new { session_id = session.Id, leg = leg == Leg.Start ? "start" : "callback", outcome = outcome ?? unfinished });
            await tx.Db.SaveChangesAsync(token);
        }, ct);
        return outcome == OAuthSession.Succeeded
            ? OAuthPages.Finish(http, session.RedirectUri, null, again: true)
            : OAuthPages.Finish(http, session.RedirectUri, outcome ?? unfinished, again: outcome is not null);
    }

    private enum Leg { Start, Callback }
}

/// <summary>Log category of the OAuth browser flow.</summary>
public sealed class OAuthFlowMarker;
