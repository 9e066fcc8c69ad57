using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Dashboard;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Dashboard;

public sealed class InstallUrlEndpointTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Returns_a_single_use_connect_link_that_carries_no_api_key()
    {
        var account = await app.CreateAccountAsync();
        var before = DateTime.UtcNow;
        var response = await account.Client().PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null);
        var data = (await response.ShouldBe(HttpStatusCode.OK))["data"]!;

        Assert.Equal("stripe", data["provider"]!.GetValue<string>());
        Assert.Equal("api_key", data["setup_type"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(data["message"]!.GetValue<string>()));
        var url = data["install_url"]!.GetValue<string>();
        Assert.Matches("^http://127\\.0\\.0\\.1:5080/connect/[A-Za-z0-9_-]{43}$", url);
        Assert.DoesNotContain(account.ApiKey, url);
        var expiresAt = data["expires_at"]!.GetValue<DateTime>();
        Assert.InRange(expiresAt, before.AddMinutes(14), DateTime.UtcNow.AddMinutes(15).AddSeconds(1));

        var token = url[(url.LastIndexOf('/') + 1)..];
        var stored = await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).ToListAsync());
        var link = Assert.Single(stored);
        Assert.Equal(InstallLinkTokens.Hash(token), link.Id);
        Assert.NotEqual(token, link.Id);
        Assert.Equal((account.ProjectId, "stripe", account.ApiKeyId), (link.ProjectId, link.Provider, link.CreatedBy));
        Assert.Null(link.UsedAt);

        var audit = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId && e.Action == "integration.install_url.created").ToListAsync());
        var e = Assert.Single(audit);
        Assert.Equal(("stripe", account.ProjectId, account.ApiKeyId), (e.Provider, e.ProjectId, e.ActorId));
        Assert.DoesNotContain(token, e.DataJson);
    }

    [Theory]
    [InlineData("slack", "oauth")]
    [InlineData("microsoft_graph_app", "oauth")]
    [InlineData("twilio", "basic")]
    [InlineData("aws", "aws_role")]
    [InlineData("google_service_account", "service_account")]
    [InlineData("hacker_news", "none")]
    public async Task Setup_type_follows_the_providers_auth_type(string provider, string setupType)
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/{provider}/install-url", null);
        Assert.Equal(setupType, (await response.ShouldBe(HttpStatusCode.OK))["data"]!["setup_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_link_is_new()
    {
        var account = await app.CreateAccountAsync();
        var first = await InstallLinks.CreateAsync(account, "stripe");
        var second = await InstallLinks.CreateAsync(account, "stripe");
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Another_accounts_project_is_not_found_and_nothing_is_written()
    {
        var mine = await app.CreateAccountAsync();
        var theirs = await app.CreateAccountAsync("other");
        var response = await mine.Client().PostAsync($"/api/v1/projects/{theirs.ProjectId}/integrations/stripe/install-url", null);
        await response.ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<InstallLink>().CountAsync(l => l.AccountId == mine.AccountId || l.AccountId == theirs.AccountId)));
    }

    [Fact]
    public async Task Unknown_project_and_unknown_provider_are_not_found()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostAsync("/api/v1/projects/prj_nope/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await account.Client().PostAsync($"/api/v1/projects/{new string('x', 300)}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await account.Client().PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/no_such_provider/install-url", null))
            .ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<InstallLink>().CountAsync(l => l.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task A_key_restricted_to_one_project_gets_links_only_for_that_project()
    {
        var account = await app.CreateAccountAsync();
        var other = await InstallLinks.AddProjectAsync(app, account.AccountId, "staging");
        var created = await (await app.AdminClient(account.AccountId).PostJson("/api/v1/api-keys",
            new { name = "default only", scopes = new[] { "integrations:write" }, project_id = account.ProjectId })).ShouldBe(HttpStatusCode.Created);
        var restricted = app.ClientWithKey(created["key"]!.GetValue<string>());

        await (await restricted.PostAsync($"/api/v1/projects/{other}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.OK);
        // The unrestricted key may use either project.
        await (await account.Client().PostAsync($"/api/v1/projects/{other}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Needs_the_integrations_write_scope()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await app.AdminClient(account.AccountId).PostJson("/api/v1/api-keys",
            new { name = "reader", scopes = new[] { "read" } })).ShouldBe(HttpStatusCode.Created);
        var reader = app.ClientWithKey(created["key"]!.GetValue<string>());
        await (await reader.PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await app.CreateClient().PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.Unauthorized, "missing_credentials");
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<InstallLink>().CountAsync(l => l.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task The_v1_prefix_serves_the_same_endpoint()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostAsync($"/v1/projects/{account.ProjectId}/integrations/slack/install-url", null);
        Assert.Equal("oauth", (await response.ShouldBe(HttpStatusCode.OK))["data"]!["setup_type"]!.GetValue<string>());
    }
}
