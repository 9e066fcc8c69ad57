using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Projects;

public sealed class ProjectsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Creates_lists_gets_and_renames_projects_with_prj_ids()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();

        var created = await (await client.PostJson("/api/v1/projects", new { name = "Shop EU" })).ShouldBe(HttpStatusCode.Created);
        var id = created["data"]!["id"].S();
        Assert.StartsWith("prj_", id);
        Assert.Equal("Shop EU", created["data"]!["name"].S());
        Assert.False(created["data"]!["is_default"]!.GetValue<bool>());

        var list = await (await client.GetAsync("/api/v1/projects")).ShouldBe(HttpStatusCode.OK);
        var ids = list["data"]!.AsArray().Select(p => p!["id"].S()).ToList();
        Assert.Equal(2, ids.Count);
        Assert.Contains(account.ProjectId, ids);
        Assert.Contains(id, ids);

        var renamed = await (await client.PatchAsync($"/api/v1/projects/{id}", Infrastructure.Api.Json(new { name = "Shop Europe" }))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Shop Europe", renamed["data"]!["name"].S());
        var got = await (await client.GetAsync($"/api/v1/projects/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Shop Europe", got["data"]!["name"].S());

        var events = await client.AuditAsync($"project_id={id}");
        Assert.Equal(["project.renamed", "project.created"], events.Select(e => e!["action"].S()).ToArray());
        Assert.Equal("Shop EU", events[0]!["data"]!["before"]!["name"].S());
    }

    [Fact]
    public async Task Project_names_are_unique_within_an_account_only()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await a.Client().CreateProjectAsync("staging");
        await (await a.Client().PostJson("/api/v1/projects", new { name = "staging" })).ShouldBe(HttpStatusCode.Conflict, "project_name_taken");
        await b.Client().CreateProjectAsync("staging");
        var other = await a.Client().CreateProjectAsync("prod");
        await (await a.Client().PatchAsync($"/api/v1/projects/{other}", Infrastructure.Api.Json(new { name = "staging" }))).ShouldBe(HttpStatusCode.Conflict, "project_name_taken");
    }

    [Theory]
    [InlineData("{\"name\":", "malformed_json")]
    [InlineData("[]", "validation_failed")]
    [InlineData("{\"name\":42}", "validation_failed")]
    [InlineData("{\"name\":\"   \"}", "validation_failed")]
    [InlineData("{}", "validation_failed")]
    public async Task Bad_project_bodies_are_400_and_write_nothing(string json, string code)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostAsync("/api/v1/projects", Infrastructure.Api.Json(json))).ShouldBe(HttpStatusCode.BadRequest, code);
        var tooLong = new string('x', 201);
        await (await account.Client().PostJson("/api/v1/projects", new { name = tooLong })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(1, await app.WithDbAsync(db => db.Projects.CountAsync(p => p.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Another_accounts_project_is_404_on_every_route()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        var project = await a.Client().CreateProjectAsync("private");
        var intruder = b.Client();

        await (await intruder.GetAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.PatchAsync($"/api/v1/projects/{project}", Infrastructure.Api.Json(new { name = "mine" }))).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await intruder.DeleteAsync($"/api/v1/projects/{a.ProjectId}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        var listed = await (await intruder.GetAsync("/api/v1/projects")).ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(listed["data"]!.AsArray(), p => p!["id"].S() == project);
        Assert.Equal("private", await app.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.Name).SingleAsync()));
    }

    [Fact]
    public async Task A_key_restricted_to_a_project_sees_only_that_project()
    {
        var account = await app.CreateAccountAsync();
        var admin = account.Client();
        var projectA = await admin.CreateProjectAsync("a");
        var projectB = await admin.CreateProjectAsync("b");
        var (keyA, _) = await admin.CreateKeyAsync(projectA, "read", "integrations:write", "admin");
        var restricted = app.ClientWithKey(keyA);

        var list = await (await restricted.GetAsync("/api/v1/projects")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal([projectA], list["data"]!.AsArray().Select(p => p!["id"].S()).ToArray());
        await (await restricted.GetAsync($"/api/v1/projects/{projectA}")).ShouldBe(HttpStatusCode.OK);
        await (await restricted.GetAsync($"/api/v1/projects/{projectB}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.GetAsync($"/api/v1/projects/{account.ProjectId}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.PatchAsync($"/api/v1/projects/{projectB}", Infrastructure.Api.Json(new { name = "x" }))).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.DeleteAsync($"/api/v1/projects/{projectB}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        await (await restricted.PostJson("/api/v1/projects", new { name = "c" })).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task Project_writes_need_the_admin_scope()
    {
        var account = await app.CreateAccountAsync();
        var (key, _) = await account.Client().CreateKeyAsync(null, "read", "integrations:write");
        var client = app.ClientWithKey(key);
        await (await client.PostJson("/api/v1/projects", new { name = "x" })).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await client.GetAsync("/api/v1/projects")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_default_project_cannot_be_deleted()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().DeleteAsync($"/api/v1/projects/{account.ProjectId}")).ShouldBe(HttpStatusCode.Conflict, "default_project");
        Assert.True(await app.WithDbAsync(db => db.Projects.AnyAsync(p => p.Id == account.ProjectId)));
    }

    [Fact]
    public async Task Delete_is_refused_while_an_integration_is_installed_paused_or_disconnected()
    {
        var account = await app.CreateAccountAsync();
        var admin = account.Client();
        var project = await admin.CreateProjectAsync("shop");
        var (key, keyId) = await admin.CreateKeyAsync(project, "read", "integrations:write");
        var scoped = app.ClientWithKey(key);
        await scoped.InstallAsync("stripe");

        var refused = await (await admin.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.Conflict, "project_has_integrations");
        Assert.Equal("stripe", refused["providers"]![0].S());
        await scoped.PatchLifecycleAsync(project, "stripe", new { status = "paused" });
        await (await admin.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.Conflict, "project_has_integrations");
        await (await scoped.DeleteAsync($"/api/v1/projects/{project}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        await (await admin.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.Conflict, "project_has_integrations");

        await (await scoped.PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        await (await admin.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.Conflict, "project_has_api_keys");
        await (await admin.DeleteAsync($"/api/v1/api-keys/{keyId}")).ShouldBe(HttpStatusCode.OK);
        await (await admin.DeleteAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.NoContent);

        await (await admin.GetAsync($"/api/v1/projects/{project}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        Assert.False(await app.WithDbAsync(db => db.Integrations.AnyAsync(i => i.ProjectId == project)));
        Assert.False(await app.WithDbAsync(db => db.IntegrationSecrets.AnyAsync(s => s.AccountId == account.AccountId)));
        var deleted = await admin.AuditAsync("action=project.deleted");
        Assert.Equal(project, Assert.Single(deleted)!["project_id"].S());
    }

    [Fact]
    public async Task Projects_are_paged_by_cursor_without_gaps_or_repeats()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        for (var i = 0; i < 4; i++) await client.CreateProjectAsync("p" + i);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await client.GetAsync("/api/v1/projects?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).ShouldBe(HttpStatusCode.OK);
            seen.AddRange(page["data"]!.AsArray().Select(p => p!["id"].S()));
            cursor = page["next_cursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Distinct().Count());
        Assert.Equal(5, seen.Count);

        await (await client.GetAsync("/api/v1/projects?cursor=%%%")).ShouldBe(HttpStatusCode.BadRequest, "invalid_cursor");
        await (await client.GetAsync("/api/v1/projects?limit=0")).ShouldBe(HttpStatusCode.BadRequest, "invalid_limit");
    }

    [Fact]
    public async Task Keys_can_be_restricted_only_to_a_project_of_the_same_account()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        var foreign = await b.Client().CreateProjectAsync("theirs");
        await (await a.Client().PostJson("/api/v1/api-keys", new { name = "x", scopes = new[] { "read" }, project_id = foreign }))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        Assert.Equal(1, await app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == a.AccountId)));
    }

    [Fact]
    public async Task A_restricted_admin_key_cannot_make_or_see_keys_outside_its_project()
    {
        var account = await app.CreateAccountAsync();
        var admin = account.Client();
        var projectA = await admin.CreateProjectAsync("a");
        var projectB = await admin.CreateProjectAsync("b");
        var (keyA, _) = await admin.CreateKeyAsync(projectA, "admin");
        var (_, keyBId) = await admin.CreateKeyAsync(projectB, "read");
        var restricted = app.ClientWithKey(keyA);

        await (await restricted.PostJson("/api/v1/api-keys", new { name = "x", scopes = new[] { "read" }, project_id = projectB }))
            .ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        var made = await (await restricted.PostJson("/api/v1/api-keys", new { name = "y", scopes = new[] { "read" } })).ShouldBe(HttpStatusCode.Created);
        Assert.Equal(projectA, made["api_key"]!["project_id"].S());
        var listed = await (await restricted.GetAsync("/api/v1/api-keys")).ShouldBe(HttpStatusCode.OK);
        Assert.All(listed["api_keys"]!.AsArray(), k => Assert.Equal(projectA, k!["project_id"].S()));
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{keyBId}")).ShouldBe(HttpStatusCode.NotFound, "api_key_not_found");
        await (await restricted.DeleteAsync($"/api/v1/api-keys/{account.ApiKeyId}")).ShouldBe(HttpStatusCode.NotFound, "api_key_not_found");
        Assert.False(await app.WithDbAsync(db => db.ApiKeys.AnyAsync(k => k.AccountId == account.AccountId && k.RevokedAt != null)));
    }
}
