using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.Tenancy;

/// <summary>What a key restricted to one project may do with the account's custom providers, keys, projects, and how it is audited.</summary>
public sealed class RestrictedKeyTests(TenancyApp app) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task A_restricted_key_cannot_change_a_custom_provider_the_default_project_uses()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var restricted = r.Restricted();
        var hijack = DefaultProjectResources.CustomDefinition(DefaultProjectResources.CustomProvider, "https://attacker.example.net/token");

        var put = await restricted.PutAsync($"/api/v1/providers/{DefaultProjectResources.CustomProvider}", TestHttp.Json(hijack.ToJsonString()));
        var problem = await put.ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Contains("restricted to project", problem["detail"].S());

        // The definition the default project's next code exchange uses is untouched, and nothing was audited.
        var stored = await (await r.Account.Client().GetAsync($"/api/v1/providers/{DefaultProjectResources.CustomProvider}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("https://idp.internal.example.com/token", stored["oauth"]!["token_url"].S());
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.ActorId == r.RestrictedKeyId && e.Action.StartsWith("provider."))));

        // The unrestricted key of the account still may.
        var renamed = DefaultProjectResources.CustomDefinition(DefaultProjectResources.CustomProvider);
        renamed["display_name"] = "Internal API v2";
        await (await r.Account.Client().PutAsync($"/api/v1/providers/{DefaultProjectResources.CustomProvider}", TestHttp.Json(renamed.ToJsonString())))
            .ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_restricted_key_cannot_create_or_delete_custom_providers_but_may_read_and_install_them()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var restricted = r.Restricted();
        await (await r.Account.Client().PostJson("/api/v1/providers", DefaultProjectResources.CustomDefinition("unused_api"))).ShouldBe(HttpStatusCode.Created);

        await (await restricted.PostJson("/api/v1/providers", DefaultProjectResources.CustomDefinition("p2_api"))).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await restricted.DeleteAsync("/api/v1/providers/unused_api")).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await restricted.DeleteAsync("/api/v1/providers/no_such_api")).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        var names = await app.WithDbAsync(db => db.Set<Switchboard.Store.CustomProvider>()
            .Where(c => c.AccountId == r.Account.AccountId).Select(c => c.Name).OrderBy(n => n).ToListAsync());
        Assert.Equal([DefaultProjectResources.CustomProvider, "unused_api"], names);

        // Custom providers are in every project's catalog: listing and reading them shows nothing of another project.
        var list = await (await restricted.GetAsync("/api/v1/providers")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, list["providers"]!.AsArray().Count);
        await (await restricted.GetAsync("/api/v1/providers/unused_api")).ShouldBe(HttpStatusCode.OK);
        var installed = await (await restricted.PostJson("/api/v1/integrations/unused_api/install",
            new { @params = new { client_id = "p2-client" }, secrets = new { client_secret = "p2-secret-000042" } })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(r.OtherProjectId, await app.WithDbAsync(db => db.Integrations
            .Where(i => i.Id == Guid.Parse(installed["id"].S())).Select(i => i.ProjectId).SingleAsync()));
    }

    [Fact]
    public async Task A_restricted_admin_key_makes_keys_only_for_its_own_project()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var restricted = r.Restricted();
        var count = () => app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == r.Account.AccountId));
        var before = await count();

        await (await restricted.PostJson("/api/v1/api-keys", new { name = "theirs", scopes = new[] { "read" }, project_id = r.Account.ProjectId }))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        Assert.Equal(before, await count());

        // project_id null (or left out) never means the whole account for a restricted key: it is its own project.
        var made = await (await restricted.PostAsync("/api/v1/api-keys", TestHttp.Json("""{"name": "mine", "scopes": ["admin"], "project_id": null}""")))
            .ShouldBe(HttpStatusCode.Created);
        Assert.Equal(r.OtherProjectId, made["api_key"]!["project_id"].S());
        Assert.Equal(r.OtherProjectId, await app.WithDbAsync(db => db.ApiKeys.Where(k => k.Id == made["api_key"]!["id"]!.GetValue<string>()).Select(k => k.ProjectId).SingleAsync()));
        var listed = await (await restricted.GetAsync("/api/v1/api-keys")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(new[] { r.RestrictedKeyId, made["api_key"]!["id"].S() }.Order(), listed["api_keys"]!.AsArray().Select(k => k!["id"].S()).Order());
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{r.Account.ApiKeyId}")).ShouldBe(HttpStatusCode.NotFound, "api_key_not_found");
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{r.DefaultKeyId}")).ShouldBe(HttpStatusCode.NotFound, "api_key_not_found");
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{made["api_key"]!["id"].S()}")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_restricted_admin_key_sees_and_renames_only_its_own_project_and_creates_none()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var restricted = r.Restricted();

        await (await restricted.PostJson("/api/v1/projects", new { name = "p3" })).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        var list = await (await restricted.GetAsync("/api/v1/projects")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal([r.OtherProjectId], list["data"]!.AsArray().Select(p => p!["id"].S()).ToArray());
        await (await restricted.PatchAsync($"/api/v1/projects/{r.Account.ProjectId}", TestHttp.Json(new { name = "mine now" })))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.DeleteAsync($"/api/v1/projects/{r.Account.ProjectId}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        var renamed = await (await restricted.PatchAsync($"/api/v1/projects/{r.OtherProjectId}", TestHttp.Json(new { name = "p2 renamed" })))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal("p2 renamed", renamed["data"]!["name"].S());
        var names = await app.WithDbAsync(db => db.Projects.Where(p => p.AccountId == r.Account.AccountId).Select(p => p.Name).OrderBy(n => n).ToListAsync());
        Assert.Equal(["default", "p2 renamed"], names);
    }

    [Fact]
    public async Task Every_audit_event_a_restricted_key_writes_carries_its_project()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var restricted = r.Restricted();
        // Whatever it tries, account-wide ones included.
        await restricted.PutAsync($"/api/v1/providers/{DefaultProjectResources.CustomProvider}",
            TestHttp.Json(DefaultProjectResources.CustomDefinition(DefaultProjectResources.CustomProvider, "https://attacker.example.net/token").ToJsonString()));
        await restricted.PostJson("/api/v1/providers", DefaultProjectResources.CustomDefinition("p2_api"));
        await restricted.InstallAsync("stripe");
        await restricted.PatchLifecycleAsync(r.OtherProjectId, "stripe", new { status = "paused" });
        await (await restricted.PostAsync($"/api/v1/projects/{r.OtherProjectId}/integrations/stripe/install-url", null)).ShouldBe(HttpStatusCode.OK);
        await (await restricted.PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        var (_, madeId) = await restricted.CreateKeyAsync(null, "read");
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{madeId}")).ShouldBe(HttpStatusCode.OK);
        await (await restricted.PatchAsync($"/api/v1/projects/{r.OtherProjectId}", TestHttp.Json(new { name = "p2b" }))).ShouldBe(HttpStatusCode.OK);

        var events = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.ActorId == r.RestrictedKeyId)
            .Select(e => new { e.Action, e.ProjectId }).ToListAsync());
        Assert.True(events.Count >= 7, string.Join(", ", events.Select(e => e.Action)));
        Assert.All(events, e => Assert.True(e.ProjectId == r.OtherProjectId, $"{e.Action} has project {e.ProjectId ?? "null"}"));
        // And so P2's audit view shows everything its key did.
        var seen = await restricted.AuditAsync($"actor={r.RestrictedKeyId}");
        Assert.Equal(events.Count, seen.Count);
    }

    [Fact]
    public void An_account_wide_event_recorded_for_a_restricted_key_gets_the_keys_project()
    {
        var restricted = new Switchboard.Tenancy.Tenant();
        restricted.Authenticated("acc_x", "key_x", [Scopes.Read], "prj_p2", "prj_p2", new DefaultHttpContext());
        var e = AuditLog.Event(restricted.Actor, "acc_x", "provider.updated", projectId: null, provider: "internal_api");
        Assert.Equal("prj_p2", e.ProjectId);
        Assert.Equal("key_x", e.ActorId);
        // An unrestricted key's account-wide event stays account-wide.
        var unrestricted = new Switchboard.Tenancy.Tenant();
        unrestricted.Authenticated("acc_x", "key_y", [Scopes.Read], null, "prj_default", new DefaultHttpContext());
        Assert.Null(AuditLog.Event(unrestricted.Actor, "acc_x", "provider.updated").ProjectId);
    }
}
