using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>What an auth URL's redirectUri may be, and an integration's allow-list of redirect origins.</summary>
[Collection("oauth")]
public sealed class RedirectUriTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private static readonly string[] Refused =
    [
        "http://evil.example",
        "http://evil.example/done",
        "https:\\\\evil.example",
        "https:\\\\evil.example/done",
        "https://app.example.com\\@evil.example/",
        "\thttps://evil.example",
        "https://evil.example\t",
        " https://evil.example",
        "https://evil.example/a b",
        "https://evil.example/\n",
        "https://evil.example/\u0000",
        "https://app.example.com/\u202Egnp.exe",
        "https://app.example.com/\u200B",
        "https://user:secret@app.example.com/done",
        "https://user@app.example.com/done",
        "https:evil.example",
        "https:/evil.example",
        "//evil.example/done",
        "/relative/done",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://app.example.com/",
        "http://127.0.0.1.evil.example/done",
        "http://localhost.evil.example/done",
        "http://10.0.0.1/done",
        "",
        "https://app.example.com/" + new string('a', 2000),
        // Switchboard appends status (and error): an app reading the first status must not read one planted before it.
        "https://app.example.com/done?status=success",
        "https://app.example.com/done?x=1&error=none",
    ];

    [Fact]
    public async Task A_redirect_uri_that_is_not_a_plain_absolute_https_url_is_refused_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var accepted = new List<string>();
        foreach (var redirectUri in Refused)
        {
            var response = await account.Client().PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri });
            if (response.StatusCode != HttpStatusCode.BadRequest) accepted.Add($"{(int)response.StatusCode} {Uri.EscapeDataString(redirectUri)}");
            else await response.ShouldBe(HttpStatusCode.BadRequest, "invalid_redirect_uri");
        }
        Assert.Empty(accepted);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<OAuthConnection>().CountAsync(c => c.AccountId == account.AccountId)));
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<OAuthSession>().CountAsync(c => c.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Https_urls_and_in_testing_loopback_http_urls_are_accepted()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        foreach (var redirectUri in new[]
                 {
                     "https://app.example.com/done?x=1#frag", "HTTPS://App.Example.com:8443/done", "https://xn--bcher-kva.example/done",
                     "http://127.0.0.1:3000/callback", "http://localhost:3000/callback", "http://[::1]:3000/callback",
                 })
            await (await account.Client().PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri })).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_allow_list_is_stored_normalised_shown_and_enforced_on_first_install_and_reinstall()
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostJson("/api/v1/providers", OAuthDriver.LocalProvider(idp, "listed_idp"))).ShouldBe(HttpStatusCode.Created);
        var installed = await (await c.PostJson("/api/v1/integrations/listed_idp/install", new
        {
            @params = new { client_id = "sb-client" },
            secrets = new { client_secret = OAuthServer.Secret("sb-client") },
            allowed_redirect_origins = new[] { "https://App.Example.com", "https://app.example.com:443", "http://127.0.0.1:3000" },
        })).ShouldBe(HttpStatusCode.OK);
        var cid = installed["id"]!.GetValue<string>();
        Assert.Equal(["https://app.example.com", "http://127.0.0.1:3000"],
            installed["allowed_redirect_origins"]!.AsArray().Select(o => o!.GetValue<string>()));
        var shown = await (await c.GetAsync("/api/v1/integrations/listed_idp")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, shown["allowed_redirect_origins"]!.AsArray().Count);

        async Task<HttpResponseMessage> AuthUrl(string redirectUri) =>
            await c.PostJson($"/v1/integrations/{cid}/users/listed/auth-url", new { redirectUri });
        await (await AuthUrl("https://app.example.com/done?x=1")).ShouldBe(HttpStatusCode.Created);
        await (await AuthUrl("https://APP.example.com:443/other")).ShouldBe(HttpStatusCode.Created);
        await (await AuthUrl("http://127.0.0.1:3000/cb")).ShouldBe(HttpStatusCode.Created);
        await (await AuthUrl("https://evil.example/done")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        await (await AuthUrl("https://app.example.com:8443/done")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        await (await AuthUrl("https://sub.app.example.com/done")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        await (await AuthUrl("http://127.0.0.1:3001/cb")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        // Without a redirectUri the flow ends on Switchboard's own page, which the list does not restrict.
        await (await c.PostJson($"/v1/integrations/{cid}/users/listed/auth-url", new { })).ShouldBe(HttpStatusCode.Created);

        // A re-install without the field keeps the list (the UPDATE path); one with another list replaces it; null removes it.
        var kept = await (await c.PostJson("/api/v1/integrations/listed_idp/install", new { @params = new { client_id = "sb-client" } }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, kept["allowed_redirect_origins"]!.AsArray().Count);
        await (await AuthUrl("https://evil.example/done")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        var replaced = await (await c.PostJson("/api/v1/integrations/listed_idp/install", new { allowed_redirect_origins = new[] { "https://evil.example" } }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["https://evil.example"], replaced["allowed_redirect_origins"]!.AsArray().Select(o => o!.GetValue<string>()));
        await (await AuthUrl("https://evil.example/done")).ShouldBe(HttpStatusCode.Created);
        await (await AuthUrl("https://app.example.com/done")).ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        var cleared = await (await c.PostJson("/api/v1/integrations/listed_idp/install", new { allowed_redirect_origins = (string[]?)null }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Null(cleared["allowed_redirect_origins"]);
        await (await AuthUrl("https://anywhere.example/done")).ShouldBe(HttpStatusCode.Created);

        var audited = await app.WithDbAsync(db => db.AuditEvents
            .Where(e => e.AccountId == account.AccountId && e.Action == "integration.installed").Select(e => e.DataJson).ToListAsync());
        Assert.Contains(audited, d => d.Contains("\"allowed_redirect_origins\":[\"https://app.example.com\",\"http://127.0.0.1:3000\"]"));
    }

    [Fact]
    public async Task A_list_is_enforced_through_the_whole_flow_to_the_redirect()
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostJson("/api/v1/providers", OAuthDriver.LocalProvider(idp, "flow_listed_idp"))).ShouldBe(HttpStatusCode.Created);
        var cid = (await (await c.PostJson("/api/v1/integrations/flow_listed_idp/install", new
        {
            @params = new { client_id = "sb-client" },
            secrets = new { client_secret = OAuthServer.Secret("sb-client") },
            allowed_redirect_origins = new[] { "https://app.example.com" },
        })).ShouldBe(HttpStatusCode.OK))["id"]!.GetValue<string>();
        var callback = await OAuthDriver.ConnectAsync(app, account, cid, "listed-user", "https://app.example.com/done");
        Assert.Equal("https://app.example.com/done?status=success", callback.Headers.Location!.ToString());
    }

    [Fact]
    public async Task An_allow_list_that_is_not_a_list_of_origins_is_refused_and_nothing_is_installed()
    {
        object[] badLists =
        [
            new[] { "https://app.example.com/" },
            new[] { "https://app.example.com/done" },
            new[] { "https://app.example.com?x=1" },
            new[] { "https://app.example.com#x" },
            new[] { "http://app.example.com" },
            new[] { "https://user@app.example.com" },
            new[] { "https:\\\\app.example.com" },
            new[] { " https://app.example.com" },
            new[] { "app.example.com" },
            new[] { "*" },
            new[] { "https://app.example.com", "https://ok.example.com/path" },
            new object[] { 42 },
            "https://app.example.com",
            new { origin = "https://app.example.com" },
            Enumerable.Range(0, 21).Select(i => $"https://app{i}.example.com").ToArray(),
        ];
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostJson("/api/v1/providers", OAuthDriver.LocalProvider(idp, "bad_list_idp"))).ShouldBe(HttpStatusCode.Created);
        foreach (var list in badLists)
        {
            var body = await (await c.PostJson("/api/v1/integrations/bad_list_idp/install", new
            {
                @params = new { client_id = "sb-client" },
                secrets = new { client_secret = OAuthServer.Secret("sb-client") },
                allowed_redirect_origins = list,
            })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
            Assert.StartsWith("allowed_redirect_origins", body["errors"]![0]!["field"]!.GetValue<string>());
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
    }
}

/// <summary>Outside Development and Testing, plain http redirects are refused even to loopback.</summary>
public sealed class ProductionRedirectApp : OAuthApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}

[Collection("oauth")]
public sealed class ProductionRedirectUriTests(OAuthServer idp, ProductionRedirectApp app) : IClassFixture<ProductionRedirectApp>
{
    [Theory]
    [InlineData("http://127.0.0.1:3000/callback")]
    [InlineData("http://localhost:3000/callback")]
    public async Task Loopback_http_is_refused_in_production(string redirectUri)
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        await (await account.Client().PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri }))
            .ShouldBe(HttpStatusCode.BadRequest, "invalid_redirect_uri");
        await (await account.Client().PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri = "https://app.example.com/done" }))
            .ShouldBe(HttpStatusCode.Created);
        var c = account.Client();
        await (await c.PostJson("/api/v1/integrations/local_idp/install", new { allowed_redirect_origins = new[] { "http://127.0.0.1:3000" } }))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
    }
}
