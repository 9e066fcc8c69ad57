using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Lifecycle;

/// <summary>One state machine behind both surfaces: Kataven install/uninstall and RogerIQ lifecycle/disconnect.</summary>
public sealed class LifecycleTransitionsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Pause_and_resume_show_as_installed_in_the_kataven_view()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");

        var paused = await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" });
        Assert.Equal("paused", paused["data"]!["status"].S());
        Assert.Equal("installed", await client.KatavenStatusAsync("stripe"));
        var active = await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "active" });
        Assert.Equal("active", active["data"]!["status"].S());
        Assert.Equal("installed", await client.KatavenStatusAsync("stripe"));
    }

    [Fact]
    public async Task Patch_merges_settings_and_permissions_and_sets_name_and_sidebar()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var p = account.ProjectId;
        await client.InstallAsync("hacker_news");

        await client.PatchLifecycleAsync(p, "hacker_news", new
        {
            display_name = "  HN front page ",
            sidebar_enabled = true,
            settings = new { refunds_enabled = true, limits = new { daily = 5, weekly = 20 }, region = "eu" },
            action_permissions = new { issue_refund = false, cancel_order = true },
        });
        var body = await client.PatchLifecycleAsync(p, "hacker_news",
            System.Text.Json.JsonSerializer.Deserialize<object>("""{"settings":{"limits":{"daily":7,"weekly":null},"region":null,"new":{"a":1,"b":null}},"action_permissions":{"cancel_order":null,"issue_refund":true}}""")!);
        var data = body["data"]!;
        Assert.Equal("HN front page", data["display_name"].S());
        Assert.True(data["sidebar_enabled"]!.GetValue<bool>());
        Assert.Equal("""{"refunds_enabled":true,"limits":{"daily":7},"new":{"a":1}}""", data["settings"]!.ToJsonString());
        Assert.Equal("""{"issue_refund":true}""", data["action_permissions"]!.ToJsonString());

        var listed = (await (await client.GetAsync($"/api/v1/projects/{p}/integrations")).ShouldBe(HttpStatusCode.OK))["data"]![0]!;
        Assert.Equal("HN front page", listed["display_name"].S());
        Assert.Equal(data["settings"]!.ToJsonString(), listed["settings"]!.ToJsonString());

        var reset = await client.PatchLifecycleAsync(p, "hacker_news", System.Text.Json.JsonSerializer.Deserialize<object>("""{"display_name":null}""")!);
        Assert.Equal("Hacker News", reset["data"]!["display_name"].S());
    }

    [Fact]
    public async Task Wrong_types_are_400_listing_every_field_and_write_nothing()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        var stamp = await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId).Select(i => i.UpdatedAt).SingleAsync());

        var problem = await client.PatchLifecycleAsync(account.ProjectId, "stripe", System.Text.Json.JsonSerializer.Deserialize<object>(
            """{"status":"gone","display_name":5,"sidebar_enabled":"yes","settings":[1],"action_permissions":{"refund":"yes"},"colour":"red"}""")!,
            HttpStatusCode.BadRequest, "validation_failed");
        var fields = problem["errors"]!.AsArray().Select(e => e!["field"].S()).ToHashSet();
        Assert.Equal(["status", "display_name", "sidebar_enabled", "settings", "action_permissions.refund", "colour"], fields);

        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { display_name = new string('x', 201) }, HttpStatusCode.BadRequest, "validation_failed");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { }, HttpStatusCode.BadRequest, "validation_failed");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "available" }, HttpStatusCode.BadRequest, "validation_failed");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new[] { 1 }, HttpStatusCode.BadRequest, "validation_failed");
        var malformed = await client.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Infrastructure.Api.Json("{\"status\":"));
        await malformed.ShouldBe(HttpStatusCode.BadRequest, "malformed_json");

        Assert.Equal(stamp, await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId).Select(i => i.UpdatedAt).SingleAsync()));
        Assert.Empty(await client.AuditAsync("action=integration.lifecycle.updated"));
    }

    [Fact]
    public async Task Patch_or_delete_of_a_never_installed_provider_is_an_invalid_transition()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "active" }, HttpStatusCode.Conflict, "invalid_transition");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { display_name = "x" }, HttpStatusCode.Conflict, "invalid_transition");
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.Conflict, "invalid_transition");
        await client.PatchLifecycleAsync(account.ProjectId, "no_such_provider", new { status = "active" }, HttpStatusCode.NotFound, "integration_not_found");
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/no_such_provider")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        Assert.False(await app.WithDbAsync(db => db.Integrations.AnyAsync(i => i.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Delete_disconnects_hides_the_sidebar_and_keeps_stored_secrets()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var p = account.ProjectId;
        await client.InstallAsync("stripe");
        await client.PatchLifecycleAsync(p, "stripe", new { sidebar_enabled = true });

        var body = await (await client.DeleteAsync($"/api/v1/projects/{p}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("disconnected", body["data"]!["status"].S());
        Assert.False(body["data"]!["sidebar_enabled"]!.GetValue<bool>());
        Assert.Null(body["data"]!["health_status"]);
        Assert.Equal("disconnected", (await client.CatalogEntryAsync(p, "stripe"))["status"].S());
        Assert.Equal("available", await client.KatavenStatusAsync("stripe"));
        Assert.Equal(1, await app.WithDbAsync(db => db.IntegrationSecrets.CountAsync(s => s.AccountId == account.AccountId)));

        // Repeating it changes nothing and records nothing more.
        await (await client.DeleteAsync($"/api/v1/projects/{p}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        Assert.Single(await client.AuditAsync("action=integration.disconnected"));

        await client.PatchLifecycleAsync(p, "stripe", new { status = "active" }, HttpStatusCode.Conflict, "invalid_transition");
        await client.PatchLifecycleAsync(p, "stripe", new { status = "paused" }, HttpStatusCode.Conflict, "invalid_transition");
        await client.PatchLifecycleAsync(p, "stripe", new { sidebar_enabled = true }, HttpStatusCode.Conflict, "invalid_transition");
        var renamed = await client.PatchLifecycleAsync(p, "stripe", new { display_name = "Old Stripe" });
        Assert.Equal("disconnected", renamed["data"]!["status"].S());

        // Installing again (fresh credentials) is the way back.
        await client.InstallAsync("stripe");
        Assert.Equal("active", (await client.CatalogEntryAsync(p, "stripe"))["status"].S());
    }

    [Fact]
    public async Task Patch_to_disconnected_records_both_the_change_and_the_disconnect()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" });
        var body = await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "disconnected" });
        Assert.Equal("disconnected", body["data"]!["status"].S());
        var disconnected = Assert.Single(await client.AuditAsync("action=integration.disconnected"));
        Assert.Equal("paused", disconnected!["data"]!["before"]!["status"].S());
        Assert.Equal(2, (await client.AuditAsync("action=integration.lifecycle.updated")).Count);
    }

    [Fact]
    public async Task Uninstall_returns_any_installed_state_to_available_and_then_lifecycle_changes_are_refused()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" });
        await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("available", (await client.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "active" }, HttpStatusCode.Conflict, "invalid_transition");
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.Conflict, "invalid_transition");

        await client.InstallAsync("stripe");
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("available", (await client.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
    }

    [Fact]
    public async Task Installing_over_a_paused_integration_keeps_it_paused()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" });
        await client.InstallAsync("stripe");
        Assert.Equal("paused", (await client.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
    }

    [Fact]
    public async Task Lifecycle_writes_need_the_integrations_write_scope()
    {
        var account = await app.CreateAccountAsync();
        await account.Client().InstallAsync("stripe");
        var (key, _) = await account.Client().CreateKeyAsync(null, "read");
        var reader = app.ClientWithKey(key);
        await reader.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" }, HttpStatusCode.Forbidden, "insufficient_scope");
        await (await reader.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await reader.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", (await reader.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
    }

    [Fact]
    public async Task Concurrent_patches_each_commit_with_their_event_or_lose_with_409()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Infrastructure.Api.Json(new { display_name = "name " + i }))));
        var ok = 0;
        foreach (var r in responses)
        {
            if (r.StatusCode == HttpStatusCode.OK) { ok++; continue; }
            await r.ShouldBe(HttpStatusCode.Conflict, "concurrent_modification");
        }
        Assert.True(ok >= 1);
        Assert.Equal(ok, (await client.AuditAsync("action=integration.lifecycle.updated")).Count);
        var last = (await client.AuditAsync("action=integration.lifecycle.updated"))[0]!["data"]!["after"]!["display_name"].S();
        Assert.Equal(last, (await client.CatalogEntryAsync(account.ProjectId, "stripe"))["display_name"].S());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_new_routes()
    {
        var body = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        var ids = body["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(op => op.Value!["operationId"]?.GetValue<string>())).ToHashSet();
        foreach (var id in new[] { "ListProjects", "CreateProject", "DeleteProject", "ListProjectIntegrations", "BrowseProjectCatalog",
                     "UpdateIntegrationLifecycle", "DisconnectIntegration", "ListAuditEvents" })
            Assert.Contains(id, ids);
    }

    [Theory]
    [InlineData("active", null)]
    [InlineData("paused", "integration_not_active")]
    [InlineData("disconnected", "integration_not_active")]
    [InlineData("available", "integration_not_active")]
    public void Only_an_active_integration_is_usable(string status, string? code)
    {
        var problem = IntegrationLifecycle.IsUsable(status) ? null : Problems.IntegrationNotActive("stripe", status);
        Assert.Equal(code, problem?.ProblemDetails.Extensions["code"]);
        if (problem is not null) Assert.Equal(409, problem.StatusCode);
    }

    [Fact]
    public void Disconnect_clears_health_and_hides_the_sidebar()
    {
        var row = new Integration
        {
            AccountId = "acc_x", ProjectId = "prj_x", Provider = "stripe", Status = IntegrationStatus.Active,
            SidebarEnabled = true, HealthStatus = "unhealthy", ErrorMessage = "401 from provider",
        };
        Assert.True(IntegrationLifecycle.Apply(row, LifecycleTrigger.Disconnect, DateTime.UtcNow).Allowed);
        Assert.Equal((IntegrationStatus.Disconnected, false, (string?)null, (string?)null), (row.Status, row.SidebarEnabled, row.HealthStatus, row.ErrorMessage));
    }
}
