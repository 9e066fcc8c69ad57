using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Lifecycle;

/// <summary>The RogerIQ per-project list, catalog and catalog-entry routes.</summary>
public sealed class ProjectIntegrationsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Installed_list_has_the_seed_fields_and_only_installed_integrations()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var empty = await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(empty["data"]!.AsArray());

        await client.InstallAsync("stripe");
        var response = await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations");
        var text = await response.Content.ReadAsStringAsync();
        var body = await response.ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(RogerIq.StripeKey, text);
        var item = Assert.Single(body["data"]!.AsArray())!.AsObject();
        foreach (var field in new[] { "id", "provider", "status", "display_name", "setup_type", "health_status", "sidebar_enabled",
                     "last_synced_at", "error_message", "created_at", "updated_at" })
            Assert.True(item.ContainsKey(field), $"missing {field}");
        Assert.Equal("stripe", item["provider"].S());
        Assert.Equal("active", item["status"].S());
        Assert.Equal("Stripe", item["display_name"].S());
        Assert.Equal("api_key", item["setup_type"].S());
        Assert.False(item["sidebar_enabled"]!.GetValue<bool>());
        Assert.Null(item["health_status"]);
        Assert.Null(item["error_message"]);
        var kataven = await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(kataven["id"].S(), item["id"].S());
    }

    [Fact]
    public async Task Catalog_lists_installed_and_available_entries_and_filters_by_status_category_and_text()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var p = account.ProjectId;
        await client.InstallAsync("stripe");
        await client.InstallAsync("hacker_news");
        await client.PatchLifecycleAsync(p, "hacker_news", new { status = "paused" });

        var all = (await (await client.GetAsync($"/api/v1/projects/{p}/integrations/catalog?limit=200")).ShouldBe(HttpStatusCode.OK))["data"]!.AsArray();
        Assert.True(all.Count >= 60, $"catalog has {all.Count} entries");
        Assert.Equal("active", all.Single(e => e!["provider"].S() == "stripe")!["status"].S());
        Assert.Equal("paused", all.Single(e => e!["provider"].S() == "hacker_news")!["status"].S());
        var slack = all.Single(e => e!["provider"].S() == "slack")!;
        Assert.Equal("available", slack["status"].S());
        Assert.Equal("oauth", slack["setup_type"].S());
        Assert.Null(slack["health_status"]);
        Assert.Null(slack["last_synced_at"]);

        async Task<string[]> Providers(string query) =>
            (await (await client.GetAsync($"/api/v1/projects/{p}/integrations/catalog?limit=200&{query}")).ShouldBe(HttpStatusCode.OK))["data"]!
            .AsArray().Select(e => e!["provider"].S()).ToArray();

        Assert.Equal(["stripe"], await Providers("status=active"));
        Assert.Equal(["hacker_news"], await Providers("status=paused"));
        Assert.Empty(await Providers("status=disconnected"));
        Assert.Equal(all.Count - 2, (await Providers("status=available")).Length);
        var payments = await Providers("category=payments");
        Assert.Contains("stripe", payments);
        Assert.All(payments, name => Assert.Equal("payments", all.Single(e => e!["provider"].S() == name)!["category"].S()));
        Assert.Equal(["stripe"], await Providers("category=payments&status=active"));
        Assert.Contains("stripe", await Providers("q=CARDS"));
        Assert.Contains("slack", await Providers("q=slack"));
        Assert.Empty(await Providers("q=no-such-provider-anywhere"));

        await client.PatchLifecycleAsync(p, "stripe", new { display_name = "Acme Billing" });
        Assert.Equal(["stripe"], await Providers("q=acme%20billing"));
    }

    [Fact]
    public async Task Catalog_pages_cover_every_entry_once()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog?limit=25" + (cursor is null ? "" : "&cursor=" + cursor)))
                .ShouldBe(HttpStatusCode.OK);
            var data = page["data"]!.AsArray();
            Assert.True(data.Count <= 25);
            seen.AddRange(data.Select(e => e!["provider"].S()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        var all = (await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog?limit=200")).ShouldBe(HttpStatusCode.OK))["data"]!.AsArray();
        Assert.Equal(all.Select(e => e!["provider"].S()), seen);
    }

    [Theory]
    [InlineData("status=installed", "invalid_filter")]
    [InlineData("category=nope", "invalid_filter")]
    [InlineData("limit=0", "invalid_limit")]
    [InlineData("limit=abc", "invalid_limit")]
    [InlineData("cursor=%25%25", "invalid_cursor")]
    public async Task Bad_catalog_filters_are_400(string query, string code)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog?{query}")).ShouldBe(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Catalog_entry_shows_this_projects_status_and_unknown_providers_are_404()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var before = await client.CatalogEntryAsync(account.ProjectId, "stripe");
        Assert.Equal("available", before["status"].S());
        await client.InstallAsync("stripe");
        var after = await client.CatalogEntryAsync(account.ProjectId, "stripe");
        Assert.Equal("active", after["status"].S());
        Assert.Equal(before["id"].S(), after["id"].S());
        await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog/nope")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
    }

    [Fact]
    public async Task Setup_type_follows_the_providers_auth_type()
    {
        var account = await app.CreateAccountAsync();
        var all = (await (await account.Client().GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog?limit=200")).ShouldBe(HttpStatusCode.OK))["data"]!.AsArray();
        var expected = new Dictionary<string, string>
        {
            ["OAUTH2"] = "oauth", ["OAUTH2_CLIENT_CREDENTIALS"] = "oauth", ["API_KEY"] = "api_key", ["BASIC"] = "basic",
            ["NONE"] = "none", ["AWS_ASSUME_ROLE"] = "aws_role", ["GOOGLE_SERVICE_ACCOUNT"] = "service_account",
        };
        Assert.All(all, e => Assert.Equal(expected[e!["auth_type"].S()], e["setup_type"].S()));
        Assert.Equal(expected.Count, all.Select(e => e!["auth_type"].S()).Distinct().Count());
    }

    [Fact]
    public async Task Another_accounts_project_is_404_on_every_integration_route_and_nothing_changes()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await a.Client().InstallAsync("stripe");
        var intruder = b.Client();
        var root = $"/api/v1/projects/{a.ProjectId}/integrations";

        await (await intruder.GetAsync(root)).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.GetAsync(root + "/catalog")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.GetAsync(root + "/catalog/stripe")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await intruder.PatchLifecycleAsync(a.ProjectId, "stripe", new { status = "paused" }, HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.DeleteAsync(root + "/stripe")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.GetAsync("/api/v1/projects/prj_doesnotexist/integrations")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");

        Assert.Equal("active", (await a.Client().CatalogEntryAsync(a.ProjectId, "stripe"))["status"].S());
        Assert.Empty(await a.Client().AuditAsync("action=integration.lifecycle.updated"));
        Assert.Empty(await a.Client().AuditAsync("action=integration.disconnected"));
    }

    [Fact]
    public async Task A_key_restricted_to_one_project_gets_404_on_another_project()
    {
        var account = await app.CreateAccountAsync();
        var admin = account.Client();
        var projectA = await admin.CreateProjectAsync("a");
        var projectB = await admin.CreateProjectAsync("b");
        var (keyA, _) = await admin.CreateKeyAsync(projectA, "read", "integrations:write");
        var (keyB, _) = await admin.CreateKeyAsync(projectB, "read", "integrations:write");
        var clientA = app.ClientWithKey(keyA);
        var clientB = app.ClientWithKey(keyB);
        await clientA.InstallAsync("stripe");
        await clientB.InstallAsync("stripe");

        await (await clientA.GetAsync($"/api/v1/projects/{projectA}/integrations")).ShouldBe(HttpStatusCode.OK);
        await (await clientA.GetAsync($"/api/v1/projects/{projectB}/integrations")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await clientA.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await clientA.PatchLifecycleAsync(projectB, "stripe", new { status = "paused" }, HttpStatusCode.NotFound, "project_not_found");
        await (await clientA.DeleteAsync($"/api/v1/projects/{projectB}/integrations/stripe")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");

        await clientA.PatchLifecycleAsync(projectA, "stripe", new { status = "paused" });
        Assert.Equal("paused", (await clientA.CatalogEntryAsync(projectA, "stripe"))["status"].S());
        Assert.Equal("active", (await clientB.CatalogEntryAsync(projectB, "stripe"))["status"].S());
        // The unrestricted key reaches both projects; the default project never had stripe installed.
        Assert.Equal("active", (await admin.CatalogEntryAsync(projectB, "stripe"))["status"].S());
        Assert.Equal("available", (await admin.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
    }
}
