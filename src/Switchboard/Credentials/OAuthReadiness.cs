using System.Text.Json.Nodes;
using Switchboard.Catalog;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>
/// Whether an installed OAuth integration can send a browser to its provider's consent page, and where that page
/// is (for a hosted page's form-action). Shared by the operator's install page and the end user's connect page.
/// </summary>
public static class OAuthReadiness
{
    /// <summary>
    /// True when the integration is active and has every param and secret its provider requires (the OAuth app's
    /// client id and secret). <paramref name="row"/> must be loaded with its secrets.
    /// </summary>
    public static bool IsConfigured(Integration row, ProviderDefinition provider)
    {
        if (row.Status != IntegrationStatus.Active || provider.AuthType != AuthTypes.OAuth2 || provider.Oauth?.AuthorizeUrl is null) return false;
        var parameters = JsonNode.Parse(row.ParamsJson) as JsonObject ?? [];
        return !InstallRequest.MissingRequired(provider, parameters, row.Secrets.Select(s => s.Name)).Any();
    }

    /// <summary>
    /// The origin the OAuth redirect chain ends at, for a page's form-action (browsers apply it to the redirects that
    /// follow a form post). With the installed integration, its params fill the authorize URL; an authorize URL that
    /// depends on params not known yet (e.g. a Shopify shop) allows any https origin.
    /// </summary>
    public static string AuthorizeOrigin(ProviderDefinition provider, Integration? installed)
    {
        var url = provider.Oauth?.AuthorizeUrl is { } template && installed is not null
            ? IntegrationApp.WithoutSecrets(installed, provider).Url(template)?.AbsoluteUri
            : provider.Oauth?.AuthorizeUrl;
        if (url is null || url.Contains('{') || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "https:";
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
