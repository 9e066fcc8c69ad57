using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>The browser's view of Switchboard's hosted pages: navigations, and what every such page must carry.</summary>
public static class HostedPages
{
    /// <summary>A GET as a browser navigation sends it (Accept: text/html first).</summary>
    public static Task<HttpResponseMessage> GetPageAsync(Infrastructure.SwitchboardApp app, string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, OAuthDriver.ToLocal(url));
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        return OAuthDriver.Browser(app).SendAsync(request);
    }

    public static void AssertHostedPageHeaders(HttpResponseMessage response)
    {
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
    }

    /// <summary>The install page's layout: its stylesheet and main panel, not a bare unstyled document.</summary>
    public static async Task<string> AssertStyledPageAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<style>", html);
        Assert.Contains("<main>", html);
        Assert.Contains("system-ui", html);
        Assert.Contains("– Switchboard</title>", html);
        HostedPages.AssertHostedPageHeaders(response);
        return html;
    }
}

/// <summary>The OAuth start and callback legs as hosted pages: the install page's headers and layout, HTML for browsers.</summary>
[Collection("oauth")]
public sealed class OAuthPagesTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    [Fact]
    public async Task The_start_redirect_and_the_callback_page_carry_the_install_pages_headers_and_layout()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "headers");

        var start = await HostedPages.GetPageAsync(app, authUrl);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        HostedPages.AssertHostedPageHeaders(start);

        var back = await OAuthDriver.WalkProviderAsync(start.Headers.Location!.ToString());
        var done = await HostedPages.GetPageAsync(app, back);
        var html = await HostedPages.AssertStyledPageAsync(done, HttpStatusCode.OK);
        Assert.Contains("class=\"ok\"", html);
        Assert.Contains("Connected", html);
    }

    [Fact]
    public async Task A_browser_with_a_forged_or_missing_state_gets_a_styled_400_page_and_an_api_client_problem_json()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, await OAuthDriver.AuthUrlAsync(account, cid, "forger"));
        var state = OAuthDriver.Query(new Uri(back))["state"];
        var forged = back.Replace("state=" + state, "state=forged-" + state[..10]);

        var html = await HostedPages.AssertStyledPageAsync(await HostedPages.GetPageAsync(app, forged), HttpStatusCode.BadRequest);
        Assert.Contains("Invalid state", html);
        Assert.Contains("invalid_state", html);
        await HostedPages.AssertStyledPageAsync(await HostedPages.GetPageAsync(app, OAuthServer.CallbackUrl + "?code=abc"), HttpStatusCode.BadRequest);

        var api = await OAuthDriver.CallbackAsync(app, forged);
        await api.ShouldBe(HttpStatusCode.BadRequest, "invalid_state");
        HostedPages.AssertHostedPageHeaders(api);
        // Nothing happened to the user whose flow is still open.
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/forger")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("pending", user["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_browser_with_an_unknown_start_link_gets_a_styled_404_page()
    {
        var html = await HostedPages.AssertStyledPageAsync(await HostedPages.GetPageAsync(app, OAuthDriver.PublicBase + "/api/v1/oauth/start/not-a-real-handle"),
            HttpStatusCode.NotFound);
        Assert.Contains("authorization_session_not_found", html);
        var api = await OAuthDriver.Browser(app).GetAsync("/api/v1/oauth/start/not-a-real-handle");
        await api.ShouldBe(HttpStatusCode.NotFound, "authorization_session_not_found");
    }

    [Fact]
    public async Task A_failed_flow_without_a_redirect_uri_ends_on_a_styled_failure_page()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, await OAuthDriver.AuthUrlAsync(account, cid, "page-denier"), consent: false);
        var html = await HostedPages.AssertStyledPageAsync(await HostedPages.GetPageAsync(app, back), HttpStatusCode.BadRequest);
        Assert.Contains("Connection failed", html);
        Assert.Contains("access_denied", html);
    }
}

/// <summary>An expired start link, opened by a browser, without a redirectUri.</summary>
[Collection("oauth")]
public sealed class ExpiredLinkPageTests(OAuthServer idp, ShortSessionApp app) : IClassFixture<ShortSessionApp>
{
    [Fact]
    public async Task A_browser_with_an_expired_start_link_gets_a_styled_410_page()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var late = await OAuthDriver.AuthUrlAsync(account, cid, "late-page");
        await Task.Delay(1200);
        var html = await HostedPages.AssertStyledPageAsync(await HostedPages.GetPageAsync(app, late), HttpStatusCode.Gone);
        Assert.Contains("session_expired", html);
        await (await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(late))).ShouldBe(HttpStatusCode.Gone, "session_expired");
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/late-page")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", user["status"]!.GetValue<string>());
        Assert.Equal("session_expired", user["lastError"]!.GetValue<string>());
    }
}
