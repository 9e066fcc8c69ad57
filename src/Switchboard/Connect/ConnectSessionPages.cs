using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Events;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Sealing;
using Switchboard.Store;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.Connect;

/// <summary>
/// The connect page behind a connect session: the integrations the operator installed in the session's project
/// (those the session names, or all), each connectable by THIS end user — API-key and basic providers with a form
/// for the end user's own credential, OAuth providers straight to the provider's consent with the operator's OAuth
/// app. The token in the URL is the only credential; forms also send back the session's nonce.
/// </summary>
public static class ConnectSessionPages
{
    /// <summary>What the pages use.</summary>
    public sealed record PageServices(SwitchboardDb Db, AccountCatalog Catalog, SecretBox Box, IStoreWriter Writer, OutboundPolicy Outbound,
        IOptions<SwitchboardOptions> Options, IOptions<OAuthOptions> OAuth, CancellationToken Aborted);

    /// <summary>One integration the page offers.</summary>
    private sealed record Offer(Integration Row, ProviderDefinition Provider, bool Ready, bool Connected);

    public static async Task<IResult> ListAsync(string token, [AsParameters] PageServices s)
    {
        var (session, refusal) = await FindUsableAsync(s.Db, token, s.Aborted);
        if (session is null) return refusal!;
        var offers = await OffersAsync(session, s);
        var items = new StringBuilder();
        var formActions = new List<string>();
        foreach (var o in offers)
        {
            var name = H(o.Provider.DisplayName);
            var status = o.Connected ? "<span class=\"meta\"> · Connected</span>" : "";
            string action;
            if (o.Provider.AuthType == AuthTypes.OAuth2 && !o.Ready)
                action = $"<p class=\"meta\" id=\"note-{H(o.Provider.Name)}\">Not ready yet: {name} has not been set up for connections. Ask the application's team.</p>";
            else if (o.Provider.AuthType == AuthTypes.OAuth2)
            {
                var origin = OAuthReadiness.AuthorizeOrigin(o.Provider, o.Row);
                if (!formActions.Contains(origin)) formActions.Add(origin);
                action = $"""
                    <form method="post" action="{H(ConnectTokens.PagePath + token + "/" + o.Provider.Name)}">
                    <input type="hidden" name="{CredentialForm.NonceField}" value="{H(session.FormNonce)}">
                    <button type="submit">{(o.Connected ? "Reconnect" : "Connect")} {name}</button>
                    </form>
                    """;
            }
            else action = $"<p><a class=\"button\" href=\"{H(ConnectTokens.PagePath + token + "/" + o.Provider.Name)}\">{(o.Connected ? "Replace the credential for" : "Connect")} {name}</a></p>";
            items.Append($"""
                <li>
                <h2>{name}{status}</h2>
                <p class="hint">{H(o.Provider.Description)}</p>
                {action}
                </li>

                """);
        }
        var greeting = session.EndUserDisplayName is { } who ? $"<p>Signed in as {H(who)}.</p>" : "";
        var list = offers.Count == 0
            ? "<p>There is nothing to connect yet. Ask the application's team to set up an integration.</p>"
            : $"<ul class=\"offers\">\n{items}</ul>";
        return new HtmlPage(200, "Connect an integration", $"""
            <h1>Connect an integration</h1>
            {greeting}
            <p>Choose what to connect. This link works until {H(session.ExpiresAt.ToString("yyyy-MM-dd HH:mm"))} UTC.</p>
            {list}
            """, formActions.Count == 0 ? null : string.Join(' ', formActions), ConnectResult.FrameAncestors(session));
    }

    public static async Task<IResult> FormAsync(string token, string provider, [AsParameters] PageServices s)
    {
        var (session, refusal) = await FindUsableAsync(s.Db, token, s.Aborted);
        if (session is null) return refusal!;
        var offer = (await OffersAsync(session, s)).FirstOrDefault(o => o.Provider.Name == provider);
        if (offer is null) return NotOffered(session);
        if (offer.Provider.AuthType == AuthTypes.OAuth2)
            return TypedResults.Redirect(ConnectTokens.PagePath + token);
        if (!s.Box.IsAvailable) return EncryptionUnavailable(session);
        return FormPage(200, token, session, offer.Provider, CredentialForm.Defaults(offer.Provider), []);
    }

    public static async Task<IResult> SubmitAsync(string token, string provider, HttpContext http, [AsParameters] PageServices s)
    {
        var (db, box, ct) = (s.Db, s.Box, s.Aborted);
        var request = http.Request;
        if (!request.HasFormContentType) return Message(415, "Unsupported form", "Submit the form from the connect page itself.");
        // Browsers say where a form post comes from; a post from another site is refused whatever it carries.
        if (request.Headers["Sec-Fetch-Site"] == "cross-site") return FormOutdated();
        IFormCollection form;
        try { form = await request.ReadFormAsync(ct); }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        { return Message(413, "Form too large", "The form data is larger than this service accepts. Nothing was saved."); }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        { return Message(400, "Form could not be read", "The form data was malformed. Nothing was saved."); }

        var (session, refusal) = await FindUsableAsync(db, token, ct);
        if (session is null) return refusal!;
        if (!ConnectTokens.NonceMatches(session.FormNonce, form[CredentialForm.NonceField].FirstOrDefault())) return FormOutdated();
        var offer = (await OffersAsync(session, s)).FirstOrDefault(o => o.Provider.Name == provider);
        if (offer is null) return NotOffered(session);
        if (!box.IsAvailable) return EncryptionUnavailable(session);
        var actor = AuditActor.Anonymous(http);
        return offer.Provider.AuthType == AuthTypes.OAuth2
            ? await StartOAuthAsync(token, session, offer, actor, s)
            : await StoreCredentialAsync(token, session, offer, form, actor, s);
    }

    /// <summary>
    /// An OAuth provider: a session of the OAuth flow for this end user (their connection pending until the callback
    /// succeeds), which comes back to <see cref="ReturnAsync"/> through a fresh return handle.
    /// </summary>
    private static async Task<IResult> StartOAuthAsync(string token, ConnectSession session, Offer offer, AuditActor actor, PageServices s)
    {
        if (!offer.Ready) return NotOffered(session);
        var handle = ConnectTokens.NewHandle();
        var returnUrl = ConnectTokens.ReturnUrl(s.Options.Value.PublicBaseUrl, handle);
        var returnHash = ConnectTokens.Hash(handle);
        var started = await s.Writer.WriteAsync(async (tx, ct) =>
        {
            var (startHandle, oauthSessionId) = await OAuthSessions.StartAsync(tx.Db, actor, session.AccountId, offer.Row, session.EndUserId,
                returnUrl, s.OAuth.Value.SessionLifetime, ct);
            var now = DateTime.UtcNow;
            var claimed = await tx.Db.Set<ConnectSession>()
                .Where(x => x.AccountId == session.AccountId && x.Id == session.Id && x.CompletedAt == null && x.ExpiresAt > now)
                .ExecuteUpdateAsync(x => x.SetProperty(c => c.ReturnHandleHash, returnHash).SetProperty(c => c.OAuthSessionId, oauthSessionId)
                    .SetProperty(c => c.OAuthIntegration, offer.Provider.Name), ct);
            if (claimed == 0)
            {
                tx.Rollback();
                return null;
            }
            await tx.Db.SaveChangesAsync(ct);
            return startHandle;
        }, s.Aborted);
        if (started is null) return await GoneAsync(s.Db, session, s.Aborted);
        return TypedResults.Redirect(OAuthHandles.StartUrl(s.Options.Value.PublicBaseUrl, started));
    }

    /// <summary>
    /// An API-key or basic provider: the end user's own credential, validated like an install, sealed and stored on
    /// THEIR connection, which becomes active in the same transaction that uses up the session.
    /// </summary>
    private static async Task<IResult> StoreCredentialAsync(string token, ConnectSession session, Offer offer, IFormCollection form, AuditActor actor,
        PageServices s)
    {
        var provider = offer.Provider;
        var submitted = CredentialForm.ToInstallBody(form, provider);
        var (install, errors) = InstallRequest.Parse(submitted.Body, provider, s.Outbound);
        if (install is null || errors.Count > 0)
            return FormPage(400, token, session, provider, submitted.ParamValues, errors);
        var missing = InstallRequest.MissingRequired(provider, install.Params ?? [], install.Secrets?.Keys ?? Enumerable.Empty<string>()).ToList();
        if (missing.Count > 0) return FormPage(400, token, session, provider, submitted.ParamValues, missing);

        var (accountId, userId, integration) = (session.AccountId, session.EndUserId, offer.Row);
        var existing = await s.Db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.AccountId == accountId && c.IntegrationId == integration.Id && c.UserId == userId).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(s.Aborted);
        var connectionId = existing ?? Guid.CreateVersion7();
        var secretsJson = System.Text.Json.JsonSerializer.Serialize(install.Secrets ?? new Dictionary<string, string>());
        var now = DateTime.UtcNow;
        // Sealed before the write: the writer runs nothing but the write.
        var probe = new OAuthConnection { Id = connectionId, AccountId = accountId, ProjectId = session.ProjectId, UserId = userId };
        var sealedCredential = SealedFields.EndUserCredential.Seal(s.Box, probe, secretsJson);
        var paramsJson = (install.Params ?? []).ToJsonString();

        var written = await s.Writer.WriteAsync(async (tx, ct) =>
        {
            var claimed = await tx.Db.Set<ConnectSession>()
                .Where(x => x.AccountId == accountId && x.Id == session.Id && x.CompletedAt == null && x.ExpiresAt > now)
                .ExecuteUpdateAsync(x => x.SetProperty(c => c.CompletedAt, now).SetProperty(c => c.CompletedIntegration, provider.Name), ct);
            if (claimed == 0) return false;
            var connection = await tx.Db.Set<OAuthConnection>()
                .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == integration.Id && c.UserId == userId, ct);
            if (connection is not null && connection.Id != connectionId)
            {
                // Created meanwhile by another request: sealed for another row, so this one stores nothing.
                tx.Rollback();
                return false;
            }
            var before = connection?.Status;
            if (connection is null)
            {
                connection = new OAuthConnection
                {
                    Id = connectionId, AccountId = accountId, ProjectId = integration.ProjectId, IntegrationId = integration.Id,
                    UserId = userId, CreatedAt = now, UpdatedAt = now,
                };
                tx.Db.Add(connection);
            }
            connection.Credential = sealedCredential;
            connection.ParamsJson = paramsJson;
            connection.AccessToken = null;
            connection.RefreshToken = null;
            connection.ExpiresAt = null;
            connection.Status = ConnectionStatus.Active;
            connection.Generation++;
            connection.LastError = null;
            connection.ConnectedAt = now;
            connection.UpdatedAt = now;
            AuditLog.Record(tx.Db, actor, accountId, "connect.user.connected", session.ProjectId, provider.Name, connection.Id.ToString(),
                new { user_id = userId, connect_session_id = session.Id, before = new { status = before }, after = new { status = connection.Status },
                    @params = (install.Params ?? []).Select(p => p.Key).ToList(), secrets = (install.Secrets ?? []).Keys.ToList() });
            // Usable for the first time (or again, after it had expired or failed): in the same transaction as the credential.
            if (before != ConnectionStatus.Active)
                EventOutbox.Add(tx, new EventEnvelope(EventTypes.ConnectionCreated, new EventData(accountId, integration.ProjectId)
                {
                    IntegrationId = integration.Id.ToString(), Provider = provider.Name, EndUserId = userId, ConnectionId = connection.Id.ToString(),
                    Status = connection.Status, PreviousStatus = before,
                }));
            await tx.Db.SaveChangesAsync(ct);
            return true;
        }, s.Aborted);
        if (!written) return await GoneAsync(s.Db, session, s.Aborted);
        return ConnectResult.Page(200, session, provider.Name, provider.DisplayName, null);
    }

    /// <summary>
    /// Where an OAuth attempt started from the page comes back (the OAuth flow's redirect). The outcome is read from the
    /// flow's own record, never from the query, so the result cannot be forged by editing the URL; a success uses up
    /// the connect session.
    /// </summary>
    public static async Task<IResult> ReturnAsync(string handle, HttpContext http, [AsParameters] PageServices s)
    {
        var (db, ct) = (s.Db, s.Aborted);
        if (!ConnectTokens.LooksLikeHandle(handle)) return NotFound();
        var hash = ConnectTokens.Hash(handle);
        var session = await db.Set<ConnectSession>().AsNoTracking().FirstOrDefaultAsync(x => x.ReturnHandleHash == hash, ct);
        if (session?.OAuthSessionId is not { } oauthSessionId) return NotFound();
        var outcome = await db.Set<OAuthSession>().AsNoTracking()
            .Where(o => o.AccountId == session.AccountId && o.Id == oauthSessionId).Select(o => o.Outcome).FirstOrDefaultAsync(ct);
        var integration = session.OAuthIntegration;
        var displayName = integration is null ? null : (await s.Catalog.FindAsync(db, session.AccountId, integration, ct))?.DisplayName;
        if (outcome != OAuthSession.Succeeded)
            return ConnectResult.Page(outcome is null ? 409 : 400, session, integration, displayName, outcome ?? "authorization_incomplete");
        if (session.CompletedAt is null)
        {
            var now = DateTime.UtcNow;
            var actor = AuditActor.Anonymous(http);
            await s.Writer.WriteAsync(async (tx, token) =>
            {
                var claimed = await tx.Db.Set<ConnectSession>()
                    .Where(x => x.AccountId == session.AccountId && x.Id == session.Id && x.CompletedAt == null)
                    .ExecuteUpdateAsync(x => x.SetProperty(c => c.CompletedAt, now).SetProperty(c => c.CompletedIntegration, integration), token);
                if (claimed == 0) return 0;
                AuditLog.Record(tx.Db, actor, session.AccountId, "connect.session.completed", session.ProjectId, integration, session.Id.ToString(),
                    new { end_user_id = session.EndUserId, oauth_session_id = oauthSessionId });
                return await tx.Db.SaveChangesAsync(token);
            }, ct);
        }
        return ConnectResult.Page(200, session, integration, displayName, null);
    }

    /// <summary>
    /// The installed, active integrations of the session's project that it offers, in display-name order: connectable
    /// auth types only, and only where the integration's allowed_redirect_origins admit the session's.
    /// </summary>
    private static async Task<List<Offer>> OffersAsync(ConnectSession session, PageServices s)
    {
        var (db, ct) = (s.Db, s.Aborted);
        var named = ConnectOrigins.Integrations(session);
        var rows = await db.Integrations.AsNoTracking().Include(i => i.Secrets)
            .Where(i => i.AccountId == session.AccountId && i.ProjectId == session.ProjectId && i.Status == IntegrationStatus.Active)
            .ToListAsync(ct);
        var connected = await db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.AccountId == session.AccountId && c.ProjectId == session.ProjectId && c.UserId == session.EndUserId && c.Status == ConnectionStatus.Active)
            .Select(c => c.IntegrationId).ToListAsync(ct);
        var offers = new List<Offer>();
        foreach (var row in rows.Where(r => named is null || named.Contains(r.Provider)))
        {
            if (await s.Catalog.FindAsync(db, session.AccountId, row.Provider, ct) is not { } provider) continue;
            if (!ConnectSessionsEndpoints.Connectable.Contains(provider.AuthType)) continue;
            if (!ConnectOrigins.Admits(AllowedRedirectOrigins.Parse(row.AllowedRedirectOriginsJson), session.RedirectUri, ConnectOrigins.Of(session))) continue;
            offers.Add(new Offer(row, provider, provider.AuthType != AuthTypes.OAuth2 || OAuthReadiness.IsConfigured(row, provider), connected.Contains(row.Id)));
        }
        return offers.OrderBy(o => o.Provider.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// The session the token names, if it can still be used; else the page that says why. The token is the capability
    /// that names the account, so this is the one lookup without an account in the predicate (by the token's hash).
    /// An expired or used-up session ends like a failed attempt: the application is told (postMessage or redirect).
    /// </summary>
    private static async Task<(ConnectSession? Session, IResult? Refusal)> FindUsableAsync(SwitchboardDb db, string token, CancellationToken ct)
    {
        if (!ConnectTokens.LooksValid(token)) return (null, NotFound());
        var hash = ConnectTokens.Hash(token);
        var session = await db.Set<ConnectSession>().AsNoTracking().FirstOrDefaultAsync(x => x.TokenHash == hash, ct);
        if (session is null) return (null, NotFound());
        if (session.CompletedAt is not null) return (null, ConnectResult.Page(410, session, session.CompletedIntegration, null, "session_used"));
        if (session.ExpiresAt <= DateTime.UtcNow) return (null, ConnectResult.Page(410, session, null, null, "session_expired"));
        // A session dies with the key that created it.
        if (session.CreatedBy != "admin" && !await db.ApiKeys.AsNoTracking()
                .AnyAsync(k => k.Id == session.CreatedBy && k.AccountId == session.AccountId && k.RevokedAt == null, ct))
            return (null, ConnectResult.Page(410, session, null, null, "session_revoked"));
        return (session, null);
    }

    private static async Task<IResult> GoneAsync(SwitchboardDb db, ConnectSession session, CancellationToken ct)
    {
        var now = await db.Set<ConnectSession>().AsNoTracking().Where(x => x.AccountId == session.AccountId && x.Id == session.Id)
            .Select(x => new { x.CompletedAt, x.CompletedIntegration }).FirstOrDefaultAsync(ct);
        return now?.CompletedAt is not null
            ? ConnectResult.Page(410, session, now.CompletedIntegration, null, "session_used")
            : ConnectResult.Page(410, session, null, null, "session_expired");
    }

    private static HtmlPage FormPage(int status, string token, ConnectSession session, ProviderDefinition provider,
        IReadOnlyDictionary<string, string> values, IReadOnlyList<FieldError> errors)
    {
        var title = (errors.Count > 0 ? "Error: " : "") + $"Connect {provider.DisplayName}";
        return new HtmlPage(status, title, $"""
            <p><a href="{H(ConnectTokens.PagePath + token)}">Back to the list</a></p>
            <h1>Connect {H(provider.DisplayName)}</h1>
            <p>{H(provider.Description)}</p>
            <p class="meta">Enter your own {H(provider.DisplayName)} details. <a href="{H(provider.DocsUrl)}" rel="noopener noreferrer" target="_blank">Where do I find them?</a></p>
            {CredentialForm.Render(provider, $"Connect {provider.DisplayName}", session.FormNonce, values, errors, FormAudience.EndUser)}
            """, frameAncestors: ConnectResult.FrameAncestors(session));
    }

    private static HtmlPage NotFound() =>
        Message(404, "Link not found", "This connect link does not exist. Check that you copied all of it, or start again from the application.");

    private static HtmlPage NotOffered(ConnectSession session) =>
        new(404, "Not available", "<h1>Not available</h1>\n<p>This integration cannot be connected from this link.</p>",
            frameAncestors: ConnectResult.FrameAncestors(session));

    private static HtmlPage FormOutdated() =>
        Message(403, "This form cannot be accepted", "Open the connect link again and submit the form from that page. Nothing was saved.");

    private static HtmlPage EncryptionUnavailable(ConnectSession session) =>
        new(503, "Credentials cannot be stored right now",
            "<h1>Credentials cannot be stored right now</h1>\n<p>The service cannot store credentials at the moment. Nothing was saved; try again later.</p>",
            frameAncestors: ConnectResult.FrameAncestors(session));
}
