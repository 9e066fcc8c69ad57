using System.Net;
using Switchboard.Tests.Dashboard;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>The hosted install page of an OAuth provider, end to end against the real authorization server.</summary>
[Collection("oauth")]
public sealed class InstallPageOAuthTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    [Fact]
    public async Task The_install_page_collects_the_oauth_app_then_connects_the_project_through_the_provider()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/providers", OAuthDriver.LocalProvider(idp, "page_idp"))).ShouldBe(HttpStatusCode.Created);
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "page_idp"));
        var browser = OAuthDriver.Browser(app);

        var page = await browser.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"form-action 'self' {new Uri(idp.Issuer).GetLeftPart(UriPartial.Authority)};",
            page.Headers.GetValues("Content-Security-Policy").Single());

        var submitted = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html),
            ("params.client_id", "sb-client"), ("secrets.client_secret", OAuthServer.Secret("sb-client")));
        Assert.Equal(HttpStatusCode.Redirect, submitted.StatusCode);
        var providerUrl = await OAuthDriver.StartAsync(app, submitted.Headers.Location!.ToString());
        var back = await OAuthDriver.WalkProviderAsync(providerUrl);
        var done = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        var integration = await (await account.Client().GetAsync("/api/v1/integrations/page_idp")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", integration["status"]!.GetValue<string>());
        var user = await (await account.Client().GetAsync($"/api/v1/integrations/{integration["id"]}/users/default")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
        var creds = await (await account.Client().GetAsync($"/api/v1/integrations/{integration["id"]}/users/default/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.True(creds["accessToken"]!.GetValue<string>().Length > 20);

        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task An_oauth_integration_already_set_up_goes_straight_on_to_the_provider()
    {
        var account = await app.CreateAccountAsync();
        await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "ready_idp");
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "ready_idp"));
        var browser = OAuthDriver.Browser(app);
        var html = await (await browser.GetAsync(path)).Content.ReadAsStringAsync();
        Assert.Contains("Continue to Local IdP", html);
        Assert.DoesNotContain("client_secret", html);

        var submitted = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html));
        Assert.Equal(HttpStatusCode.Redirect, submitted.StatusCode);
        var back = await OAuthDriver.WalkProviderAsync(await OAuthDriver.StartAsync(app, submitted.Headers.Location!.ToString()));
        Assert.Equal(HttpStatusCode.OK, (await OAuthDriver.CallbackAsync(app, back)).StatusCode);
    }
}
