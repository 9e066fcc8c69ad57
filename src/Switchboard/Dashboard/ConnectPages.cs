using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Telemetry;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.Dashboard;

/// <summary>
/// The hosted install page behind an install link: GET shows the provider's form (or, for OAuth
/// providers, a button to start the OAuth flow); POST validates it with the Kataven install rules,
/// stores the credential and uses up the link. The token in the URL is the only credential; the form
/// must also send back the link's nonce. No API key is involved.
/// </summary>
public static class ConnectPages
{
    public static IEndpointRouteBuilder MapConnectPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/connect/{token}", ShowAsync).ExcludeFromDescription();
        app.MapPost("/connect/{token}", SubmitAsync).ExcludeFromDescription().DisableAntiforgery().ReadsBody();
        return app;
    }

    public static async Task<HtmlPage> ShowAsync(string token, SwitchboardDb db, AccountCatalog catalog, SecretBox box, CancellationToken ct)
    {
        var (link, refusal) = await FindUsableLinkAsync(db, token, ct);
        if (link is null) return refusal!;
        var provider = await catalog.FindAsync(db, link.AccountId, link.Provider, ct);
        if (provider is null) return ProviderGone();
        if (provider.AuthType == AuthTypes.OAuth2)
        {
            if (!box.IsAvailable) return EncryptionUnavailable();
            var installed = await ReadyForOAuthAsync(db, link, provider, ct);
            return installed is not null
                ? OAuthPage(link, provider, installed)
                : FormPage(200, link, provider, CredentialForm.Defaults(provider), [], oauthOrigin: OAuthReadiness.AuthorizeOrigin(provider, null));
        }
        if (provider.Secrets.Count > 0 && !box.IsAvailable) return EncryptionUnavailable();
        return FormPage(200, link, provider, CredentialForm.Defaults(provider), []);
    }

    /// <summary>What the page's form post uses.</summary>
    public sealed record SubmitServices(SwitchboardDb Db, AccountCatalog Catalog, SecretBox Box, IStoreWriter Writer, IntegrationStore Integrations,
        OutboundPolicy Outbound, IOptions<SwitchboardOptions> Options, IOptions<OAuthOptions> OAuth, CancellationToken Aborted);

    public static async Task<IResult> SubmitAsync(string token, HttpContext http, [AsParameters] SubmitServices s)
    {
        var (db, catalog, box, writer, integrations, outbound, options, oauth, ct) =
            (s.Db, s.Catalog, s.Box, s.Writer, s.Integrations, s.Outbound, s.Options, s.OAuth, s.Aborted);
        var request = http.Request;
        if (!request.HasFormContentType)
            return Message(415, "Unsupported form", "Submit the install form from the page itself.");
        // Browsers say where a form post comes from; a post from another site is refused whatever it carries.
        if (request.Headers["Sec-Fetch-Site"] == "cross-site") return FormOutdated();

        IFormCollection form;
        try { form = await request.ReadFormAsync(ct); }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        { return Message(413, "Form too large", "The form data is larger than this service accepts. Nothing was saved."); }
        // A truncated multipart body is an IOException from the multipart reader.
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        { return Message(400, "Form could not be read", "The form data was malformed. Nothing was saved."); }

        var (link, refusal) = await FindUsableLinkAsync(db, token, ct);
        if (link is null) return refusal!;
        if (!InstallLinkTokens.NonceMatches(link.FormNonce, form[CredentialForm.NonceField].FirstOrDefault())) return FormOutdated();
        var provider = await catalog.FindAsync(db, link.AccountId, link.Provider, ct);
        if (provider is null) return ProviderGone();
        var isOAuth = provider.AuthType == AuthTypes.OAuth2;
        var oauthOrigin = isOAuth ? OAuthReadiness.AuthorizeOrigin(provider, null) : null;
        if (isOAuth && !box.IsAvailable) return EncryptionUnavailable();
        var ready = isOAuth ? await ReadyForOAuthAsync(db, link, provider, ct) : null;

        InstallRequest? install = null;
        var submitted = CredentialForm.ToInstallBody(form, provider);
        // An OAuth integration already installed with its app credentials goes straight on to the provider.
        if (ready is null)
        {
            (install, var errors) = InstallRequest.Parse(submitted.Body, provider, outbound);
            if (install is null)
            {
                var missing = InstallRequest.MissingRequired(provider, submitted.Params, submitted.SecretNames).Where(m => errors.All(e => e.Field != m.Field));
                return FormPage(400, link, provider, submitted.ParamValues, [.. errors, .. missing], oauthOrigin);
            }
            if (install.Secrets is { Count: > 0 } && !box.IsAvailable) return EncryptionUnavailable();
        }

        // The link is used up in the same transaction that stores the credential: a second submission
        // (on any node) finds used_at set and changes nothing; a failed install leaves the link usable.
        var actor = AuditActor.Anonymous(http);
        var command = install is null ? null : InstallCommands.Prepare(actor, link.AccountId, link.ProjectId, provider, install, box);
        var written = await writer.WriteAsync(async (tx, token) =>
        {
            var now = DateTime.UtcNow;
            var claimed = await tx.Db.Set<InstallLink>()
                .Where(l => l.Id == link.Id && l.AccountId == link.AccountId && l.UsedAt == null && l.ExpiresAt > now)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.UsedAt, now), token);
            if (claimed == 0) return new PageWrite(LinkGone: true);
            var integration = ready;
            if (command is not null)
            {
                var outcome = await integrations.InstallAsync(tx, command, token);
                if (outcome.Row is null)
                {
                    tx.Rollback();
                    return new PageWrite(Missing: outcome.Missing);
                }
                // Written with plain SQL, so not tracked: the OAuth session below needs only its identity.
                integration = new Integration { Id = outcome.Row.Id, AccountId = link.AccountId, ProjectId = link.ProjectId, Provider = provider.Name };
            }
            AuditLog.Record(tx.Db, actor, link.AccountId, "integration.install_link.used", link.ProjectId, provider.Name, integration!.Id.ToString(),
                new { LinkCreatedBy = link.CreatedBy, link.CreatedAt });
            string? handle = null;
            if (isOAuth)
                handle = await OAuthSessions.AddAsync(tx.Db, actor, link.AccountId, integration, PageUserId, redirectUri: null,
                    oauth.Value.SessionLifetime, token);
            await tx.Db.SaveChangesAsync(token);
            return new PageWrite(Handle: handle);
        }, ct);
        if (written.LinkGone)
            return LinkUsedOrExpired(await db.Set<InstallLink>().AsNoTracking().Where(l => l.Id == link.Id && l.AccountId == link.AccountId)
                .Select(l => l.UsedAt).FirstOrDefaultAsync(ct) is not null);
        if (written.Missing is { } stillMissing) return FormPage(400, link, provider, submitted.ParamValues, stillMissing, oauthOrigin);
        var handle = written.Handle;
        if (command is not null) SwitchboardMetrics.Installs.Add(1);
        // The browser goes on to Switchboard's OAuth start URL, which redirects to the provider with state and PKCE.
        if (handle is not null) return TypedResults.Redirect(OAuthHandles.StartUrl(options.Value.PublicBaseUrl, handle));

        return new HtmlPage(200, $"{provider.DisplayName} is connected", $"""
            <div class="ok">
            <h1>{H(provider.DisplayName)} is connected</h1>
            <p>The integration is active in project <code>{H(link.ProjectId)}</code>. You can close this window.</p>
            </div>
            """);
    }

    /// <summary>What the page's write did: nothing (the link was used up or expired meanwhile, or required fields are missing), or stored it.</summary>
    private sealed record PageWrite(bool LinkGone = false, List<FieldError>? Missing = null, string? Handle = null);

    /// <summary>The end user an install page connects: the project's own connection to the provider.</summary>
    public const string PageUserId = "default";

    /// <summary>The installed integration when it already has every param and secret the provider requires.</summary>
    private static async Task<Integration?> ReadyForOAuthAsync(SwitchboardDb db, InstallLink link, ProviderDefinition provider, CancellationToken ct)
    {
        var row = await db.Integrations.AsNoTracking().Include(i => i.Secrets)
            .FirstOrDefaultAsync(i => i.AccountId == link.AccountId && i.ProjectId == link.ProjectId && i.Provider == provider.Name, ct);
        return row is not null && OAuthReadiness.IsConfigured(row, provider) ? row : null;
    }

    /// <summary>
    /// The link the token names, if it can still be used. The token is the capability that names the account,
    /// so this is the one lookup without an account in the predicate (it is by the token's hash, the primary key).
    /// </summary>
    private static async Task<(InstallLink? Link, HtmlPage? Refusal)> FindUsableLinkAsync(SwitchboardDb db, string token, CancellationToken ct)
    {
        if (!InstallLinkTokens.LooksValid(token)) return (null, LinkNotFound());
        var hash = InstallLinkTokens.Hash(token);
        var link = await db.Set<InstallLink>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == hash, ct);
        if (link is null) return (null, LinkNotFound());
        if (link.UsedAt is not null) return (null, LinkUsedOrExpired(used: true));
        if (link.ExpiresAt <= DateTime.UtcNow) return (null, LinkUsedOrExpired(used: false));
        // A link dies with the key that asked for it.
        if (link.CreatedBy != "admin" && !await db.ApiKeys.AsNoTracking()
                .AnyAsync(k => k.Id == link.CreatedBy && k.AccountId == link.AccountId && k.RevokedAt == null, ct))
            return (null, Message(410, "This link is no longer valid", "The API key that created this link has been revoked. Ask for a new link."));
        return (link, null);
    }

    private static HtmlPage FormPage(int status, InstallLink link, ProviderDefinition provider,
        IReadOnlyDictionary<string, string> values, IReadOnlyList<FieldError> errors, string? oauthOrigin = null)
    {
        var submit = oauthOrigin is null ? $"Connect {provider.DisplayName}" : $"Save and continue to {provider.DisplayName}";
        var title = (errors.Count > 0 ? "Error: " : "") + $"Connect {provider.DisplayName}";
        return new HtmlPage(status, title, $"""
            <h1>Connect {H(provider.DisplayName)}</h1>
            <p>{H(provider.Description)}</p>
            <p class="meta">Project <code>{H(link.ProjectId)}</code>. This link works once and expires at {H(link.ExpiresAt.ToString("yyyy-MM-dd HH:mm"))} UTC.
            <a href="{H(provider.DocsUrl)}" rel="noopener noreferrer">{H(provider.DisplayName)} documentation</a></p>
            {CredentialForm.Render(provider, submit, link.FormNonce, values, errors)}
            """, oauthOrigin);
    }

    private static HtmlPage OAuthPage(InstallLink link, ProviderDefinition provider, Integration installed) => new(200, $"Connect {provider.DisplayName}", $"""
        <h1>Connect {H(provider.DisplayName)}</h1>
        <p>{H(provider.Description)}</p>
        <p class="meta">Project <code>{H(link.ProjectId)}</code>. You will be sent to {H(provider.DisplayName)} to approve access.</p>
        <form method="post">
        <input type="hidden" name="{CredentialForm.NonceField}" value="{H(link.FormNonce)}">
        <button type="submit">Continue to {H(provider.DisplayName)}</button>
        </form>
        """, OAuthReadiness.AuthorizeOrigin(provider, installed));

    private static HtmlPage LinkNotFound() =>
        Message(404, "Link not found", "This install link does not exist. Check that you copied all of it, or ask for a new one.");

    private static HtmlPage LinkUsedOrExpired(bool used) => used
        ? Message(410, "This link has already been used", "Install links work once. Ask for a new link to change the credential.")
        : Message(410, "This link has expired", "Install links are short-lived. Ask for a new link.");

    private static HtmlPage FormOutdated() =>
        Message(403, "This form cannot be accepted", "Open the install link again and submit the form from that page. Nothing was saved.");

    private static HtmlPage ProviderGone() =>
        Message(410, "Provider no longer offered", "This service no longer offers the provider this link was made for.");

    private static HtmlPage EncryptionUnavailable() =>
        Message(503, "Credentials cannot be stored right now", "The service has no usable encryption key. Nothing was saved; try again later.");
}
