using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Crypto;
using Switchboard.Data;
using Switchboard.Errors;
using Switchboard.Integrations;
using static Switchboard.Dashboard.HtmlPage;

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
        app.MapPost("/connect/{token}", SubmitAsync).ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    public static async Task<HtmlPage> ShowAsync(string token, SwitchboardDb db, ProviderCatalog catalog, SecretBox box, CancellationToken ct)
    {
        var (link, refusal) = await FindUsableLinkAsync(db, token, ct);
        if (link is null) return refusal!;
        var provider = catalog.Find(link.Provider);
        if (provider is null) return ProviderGone();
        if (provider.AuthType == AuthTypes.OAuth2) return OAuthPage(link, provider);
        if (provider.Secrets.Count > 0 && !box.IsAvailable) return EncryptionUnavailable();
        return FormPage(200, link, provider, ConnectForm.Defaults(provider), []);
    }

    public static async Task<HtmlPage> SubmitAsync(string token, HttpContext http, SwitchboardDb db, ProviderCatalog catalog,
        SecretBox box, CancellationToken ct)
    {
        var request = http.Request;
        if (!request.HasFormContentType)
            return Message(415, "Unsupported form", "Submit the install form from the page itself.");
        // Browsers say where a form post comes from; a post from another site is refused whatever it carries.
        if (request.Headers["Sec-Fetch-Site"] == "cross-site") return FormOutdated();

        IFormCollection form;
        try { form = await request.ReadFormAsync(ct); }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        { return Message(413, "Form too large", "The form data is larger than this service accepts. Nothing was saved."); }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        { return Message(400, "Form could not be read", "The form data was malformed. Nothing was saved."); }

        var (link, refusal) = await FindUsableLinkAsync(db, token, ct);
        if (link is null) return refusal!;
        if (!InstallLinkTokens.NonceMatches(link.FormNonce, form[ConnectForm.NonceField].FirstOrDefault())) return FormOutdated();
        var provider = catalog.Find(link.Provider);
        if (provider is null) return ProviderGone();
        if (provider.AuthType == AuthTypes.OAuth2) return await StartOAuthAsync(http, link, provider, ct);

        var submitted = ConnectForm.ToInstallBody(form, provider);
        var (install, errors) = InstallRequest.Parse(submitted.Body, provider);
        if (install is null)
        {
            var missing = InstallRequest.MissingRequired(provider, submitted.Params, submitted.SecretNames).Where(m => errors.All(e => e.Field != m.Field));
            return FormPage(400, link, provider, submitted.ParamValues, [.. errors, .. missing]);
        }
        if (install.Secrets is { Count: > 0 } && !box.IsAvailable) return EncryptionUnavailable();

        // The link is used up in the same transaction that stores the credential: a second submission
        // (on any node) finds used_at set and changes nothing; a failed install leaves the link usable.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = DateTime.UtcNow;
        var claimed = await db.Set<InstallLink>()
            .Where(l => l.Id == link.Id && l.AccountId == link.AccountId && l.UsedAt == null && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.UsedAt, now), ct);
        if (claimed == 0)
        {
            await tx.RollbackAsync(ct);
            return LinkUsedOrExpired(await db.Set<InstallLink>().AsNoTracking().Where(l => l.Id == link.Id && l.AccountId == link.AccountId)
                .Select(l => l.UsedAt).FirstOrDefaultAsync(ct) is not null);
        }
        var outcome = await IntegrationInstaller.InstallAsync(db, http, link.AccountId, link.ProjectId, provider, install, box, ct);
        if (outcome.Row is null)
        {
            await tx.RollbackAsync(ct);
            return FormPage(400, link, provider, submitted.ParamValues, outcome.Missing);
        }
        AuditLog.Record(db, http, link.AccountId, "integration.install_link.used", link.ProjectId, provider.Name, outcome.Row.Id.ToString(),
            new { LinkCreatedBy = link.CreatedBy, link.CreatedAt });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        return new HtmlPage(200, $"{provider.DisplayName} is connected", $"""
            <div class="ok">
            <h1>{H(provider.DisplayName)} is connected</h1>
            <p>The integration is active in project <code>{H(link.ProjectId)}</code>. You can close this window.</p>
            </div>
            """);
    }

    /// <summary>
    /// Where the OAuth install will start once the OAuth flow is wired in. Replace this method only.
    /// Note for whoever does: the page's CSP has form-action 'self', and browsers apply form-action to
    /// the redirect that follows this POST, so a redirect to the provider needs that directive widened.
    /// </summary>
    public static Task<HtmlPage> StartOAuthAsync(HttpContext http, InstallLink link, ProviderDefinition provider, CancellationToken ct) =>
        Task.FromResult(Message(501, "OAuth install is not available yet",
            $"Connecting {provider.DisplayName} needs the OAuth flow, which this service does not offer yet. The link was not used up."));

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
        IReadOnlyDictionary<string, string> values, IReadOnlyList<FieldError> errors)
    {
        var title = (errors.Count > 0 ? "Error: " : "") + $"Connect {provider.DisplayName}";
        return new HtmlPage(status, title, $"""
            <h1>Connect {H(provider.DisplayName)}</h1>
            <p>{H(provider.Description)}</p>
            <p class="meta">Project <code>{H(link.ProjectId)}</code>. This link works once and expires at {H(link.ExpiresAt.ToString("yyyy-MM-dd HH:mm"))} UTC.
            <a href="{H(provider.DocsUrl)}" rel="noopener noreferrer">{H(provider.DisplayName)} documentation</a></p>
            {ConnectForm.Render(provider, $"Connect {provider.DisplayName}", link.FormNonce, values, errors)}
            """);
    }

    private static HtmlPage OAuthPage(InstallLink link, ProviderDefinition provider) => new(200, $"Connect {provider.DisplayName}", $"""
        <h1>Connect {H(provider.DisplayName)}</h1>
        <p>{H(provider.Description)}</p>
        <p class="meta">Project <code>{H(link.ProjectId)}</code>. You will be sent to {H(provider.DisplayName)} to approve access.</p>
        <form method="post">
        <input type="hidden" name="{ConnectForm.NonceField}" value="{H(link.FormNonce)}">
        <button type="submit">Continue to {H(provider.DisplayName)}</button>
        </form>
        """);

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
