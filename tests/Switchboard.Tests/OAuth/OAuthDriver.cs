using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// Plays the tenant (API calls) and the end user's browser (the provider's login and consent forms over plain HTTP,
/// with cookies). Redirects to Switchboard's public base URL are delivered to the in-memory test server.
/// </summary>
public static partial class OAuthDriver
{
    public const string PublicBase = "http://127.0.0.1:5080";

    /// <summary>Defines the loopback authorization server as a custom provider and installs it with the given client.</summary>
    public static async Task<string> InstallLocalProviderAsync(TestAccount account, OAuthServer idp, string clientId = "sb-client",
        string name = "local_idp", bool pkce = true)
    {
        var client = account.Client();
        var created = await client.PostJson("/api/v1/providers", LocalProvider(idp, name, pkce));
        await created.ShouldBe(HttpStatusCode.Created);
        var installed = await client.PostJson($"/api/v1/integrations/{name}/install", new
        {
            @params = new { client_id = clientId },
            secrets = new { client_secret = OAuthServer.Secret(clientId) },
        });
        var body = await installed.ShouldBe(HttpStatusCode.OK);
        return body["id"]!.GetValue<string>();
    }

    public static object LocalProvider(OAuthServer idp, string name, bool pkce = true) => LocalProviderAt(idp.Issuer, name, pkce);

    public static object LocalProviderAt(string issuer, string name, bool pkce = true) => new Dictionary<string, object?>
    {
        ["name"] = name,
        ["display_name"] = "Local IdP",
        ["description"] = "The test authorization server.",
        ["category"] = "developer_tools",
        ["auth_type"] = "OAUTH2",
        ["api_base_url"] = issuer,
        ["docs_url"] = "https://github.com/panva/node-oidc-provider",
        ["logo_url"] = "https://example.com/logo.png",
        ["params"] = new[] { new { name = "client_id", type = "string", required = true, description = "Client id." } },
        ["secrets"] = new[] { new { name = "client_secret", type = "string", required = true, description = "Client secret." } },
        ["oauth"] = new Dictionary<string, object?>
        {
            ["authorize_url"] = issuer + "/auth",
            ["token_url"] = issuer + "/token",
            ["revoke_url"] = issuer + "/token/revocation",
            ["default_scopes"] = new[] { "openid", "offline_access" },
            ["pkce"] = pkce,
            ["extra_authorize_params"] = new Dictionary<string, string> { ["prompt"] = "consent" },
        },
    };

    public static async Task<string> AuthUrlAsync(TestAccount account, string cid, string userId, string? redirectUri = null)
    {
        var response = await account.Client().PostJson($"/v1/integrations/{cid}/users/{Uri.EscapeDataString(userId)}/auth-url",
            redirectUri is null ? new { } : new { redirectUri });
        var body = await response.ShouldBe(HttpStatusCode.Created);
        return body["authorizeUrl"]!.GetValue<string>();
    }

    public static HttpClient Browser(SwitchboardApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri(PublicBase) });

    /// <summary>Opens the auth URL and walks the provider's pages; returns the URL the provider sends the browser back to.</summary>
    public static async Task<string> AuthorizeAtProviderAsync(SwitchboardApp app, string authorizeUrl, bool consent = true) =>
        await WalkProviderAsync(await StartAsync(app, authorizeUrl), consent);

    /// <summary>Opens Switchboard's start URL; returns the provider URL it redirects to.</summary>
    public static async Task<string> StartAsync(SwitchboardApp app, string authorizeUrl)
    {
        var start = await Browser(app).GetAsync(ToLocal(authorizeUrl));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var providerUrl = start.Headers.Location!.ToString();
        Assert.DoesNotContain("5080", new Uri(providerUrl).Authority);
        return providerUrl;
    }

    /// <summary>Logs in and consents (or cancels) at the provider; returns the URL it sends the browser back to.</summary>
    public static async Task<string> WalkProviderAsync(string providerUrl, bool consent = true)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler);
        var url = providerUrl;
        for (var step = 0; step < 20; step++)
        {
            if (url.StartsWith(PublicBase, StringComparison.Ordinal)) return url;
            var response = await browser.GetAsync(url);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                url = new Uri(new Uri(url), response.Headers.Location!).ToString();
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"provider answered {(int)response.StatusCode}: {html}");
            if (!consent)
            {
                url = AbortLink().Match(html) is { Success: true } abort ? WebUtility.HtmlDecode(abort.Groups[1].Value)
                    : throw new InvalidOperationException("no abort link on " + url);
                continue;
            }
            var form = FormAction().Match(html);
            Assert.True(form.Success, "no form on provider page: " + html[..Math.Min(html.Length, 500)]);
            var fields = HiddenInput().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
            if (html.Contains("name=\"login\"")) { fields["login"] = "end-user-1"; fields["password"] = "any"; }
            var posted = await browser.PostAsync(WebUtility.HtmlDecode(form.Groups[1].Value), new FormUrlEncodedContent(fields));
            Assert.True((int)posted.StatusCode is >= 300 and < 400, $"form post answered {(int)posted.StatusCode}");
            url = new Uri(new Uri(url), posted.Headers.Location!).ToString();
        }
        throw new InvalidOperationException("the provider never redirected back");
    }

    /// <summary>Delivers the provider's redirect to Switchboard's callback.</summary>
    public static Task<HttpResponseMessage> CallbackAsync(SwitchboardApp app, string callbackUrl) => Browser(app).GetAsync(ToLocal(callbackUrl));

    /// <summary>The whole flow with consent; returns the callback's response.</summary>
    public static async Task<HttpResponseMessage> ConnectAsync(SwitchboardApp app, TestAccount account, string cid, string userId,
        string? redirectUri = "https://app.example.com/done")
    {
        var authUrl = await AuthUrlAsync(account, cid, userId, redirectUri);
        var back = await AuthorizeAtProviderAsync(app, authUrl);
        return await CallbackAsync(app, back);
    }

    public static string ToLocal(string url) => new Uri(url).PathAndQuery;

    public static Dictionary<string, string> Query(Uri location) =>
        location.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"[^>]*method=\"post\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();

    [GeneratedRegex("href=\"([^\"]+/abort)\"", RegexOptions.IgnoreCase)]
    private static partial Regex AbortLink();
}
