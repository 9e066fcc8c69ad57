using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Audit;

public sealed class AuditLogTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Writes_are_recorded_with_actor_request_and_before_after_and_never_a_secret_value()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused", display_name = "Billing", settings = new { refunds = true } });
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);

        var response = await client.GetAsync("/api/v1/audit-log?provider=stripe");
        var text = await response.Content.ReadAsStringAsync();
        var events = (await response.ShouldBe(HttpStatusCode.OK))["data"]!.AsArray();
        Assert.Equal(["integration.disconnected", "integration.lifecycle.updated", "integration.installed"], events.Select(e => e!["action"].S()).ToArray());
        Assert.All(events, e =>
        {
            Assert.Equal("api_key", e!["actor_type"].S());
            Assert.Equal(account.ApiKeyId, e["actor_id"].S());
            Assert.False(string.IsNullOrEmpty(e["request_id"]?.GetValue<string>()));
            Assert.Equal(account.ProjectId, e["project_id"].S());
        });
        var lifecycle = events[1]!["data"]!;
        Assert.Equal("""{"status":"active","display_name":null,"settings":{}}""", lifecycle["before"]!.ToJsonString());
        Assert.Equal("""{"status":"paused","display_name":"Billing","settings":{"refunds":true}}""", lifecycle["after"]!.ToJsonString());
        Assert.Equal(["api_key"], events[2]!["data"]!["secrets_set"]!.AsArray().Select(s => s.S()).ToArray());

        Assert.DoesNotContain(RogerIq.StripeKey, text);
        Assert.DoesNotContain(RogerIq.StripeKey, app.Logs.All);
        Assert.False(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.DataJson.Contains(RogerIq.StripeKey))));
    }

    [Fact]
    public async Task Admin_actions_and_key_and_project_events_are_recorded()
    {
        var account = await app.CreateAccountAsync();
        var admin = app.AdminClient(account.AccountId);
        var project = await admin.CreateProjectAsync("ops");
        var (key, keyId) = await admin.CreateKeyAsync(project, "read");
        await (await admin.DeleteAsync($"/api/v1/api-keys/{keyId}")).ShouldBe(HttpStatusCode.OK);

        var events = await account.Client().AuditAsync("actor=admin");
        Assert.Equal(["api_key.revoked", "api_key.created", "project.created"], events.Select(e => e!["action"].S()).ToArray());
        Assert.All(events, e => Assert.Equal("admin", e!["actor_type"].S()));
        Assert.Equal(keyId, events[0]!["target_id"].S());
        Assert.DoesNotContain(key, events.ToJsonString());
    }

    [Fact]
    public async Task Filters_select_by_action_provider_actor_and_time_window()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var (otherKey, otherKeyId) = await client.CreateKeyAsync(null, "read", "integrations:write");
        await client.InstallAsync("stripe");
        await app.ClientWithKey(otherKey).InstallAsync("hacker_news");
        await client.PatchLifecycleAsync(account.ProjectId, "hacker_news", new { status = "paused" });

        Assert.Equal(2, (await client.AuditAsync("action=integration.installed")).Count);
        Assert.Equal(["integration.installed"], (await client.AuditAsync("provider=stripe")).Select(e => e!["action"].S()).ToArray());
        var byOther = await client.AuditAsync($"actor={otherKeyId}");
        Assert.Equal("hacker_news", Assert.Single(byOther)!["provider"].S());
        Assert.Equal(2, (await client.AuditAsync("provider=hacker_news")).Count);

        var all = await client.AuditAsync();
        var middle = all[1]!["created_at"].S();
        var since = await client.AuditAsync("since=" + Uri.EscapeDataString(middle));
        var until = await client.AuditAsync("until=" + Uri.EscapeDataString(middle));
        Assert.Equal(all.Take(2).Select(e => e!["id"].S()), since.Select(e => e!["id"].S()));
        Assert.Equal(all.Skip(2).Select(e => e!["id"].S()), until.Select(e => e!["id"].S()));
        Assert.Empty(await client.AuditAsync("since=2099-01-01T00:00:00Z"));
    }

    [Fact]
    public async Task Pages_walk_every_event_newest_first_without_repeats()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        for (var i = 0; i < 4; i++)
            await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = i % 2 == 0 ? "paused" : "active" });

        var all = (await client.AuditAsync()).Select(e => e!["id"].S()).ToList();
        Assert.Equal(5, all.Count);
        var walked = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync("/api/v1/audit-log?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).ShouldBe(HttpStatusCode.OK);
            walked.AddRange(page["data"]!.AsArray().Select(e => e!["id"].S()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal(all, walked);
        var times = (await client.AuditAsync()).Select(e => DateTime.Parse(e!["created_at"].S()).ToUniversalTime()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);
    }

    [Theory]
    [InlineData("since=yesterday")]
    [InlineData("until=2026-13-45")]
    [InlineData("cursor=notacursor")]
    [InlineData("limit=500")]
    [InlineData("action=")]
    public async Task Bad_filters_are_400(string query)
    {
        var account = await app.CreateAccountAsync();
        var problem = await (await account.Client().GetAsync("/api/v1/audit-log?" + query)).ShouldBe(HttpStatusCode.BadRequest);
        Assert.StartsWith("invalid_", problem["code"].S());
    }

    [Fact]
    public async Task Events_of_another_account_or_another_project_are_not_visible()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await a.Client().InstallAsync("stripe");
        Assert.Empty(await b.Client().AuditAsync());

        var project = await a.Client().CreateProjectAsync("side");
        var (key, _) = await a.Client().CreateKeyAsync(project, "read", "integrations:write");
        var restricted = app.ClientWithKey(key);
        await restricted.InstallAsync("hacker_news");
        var seen = await restricted.AuditAsync();
        Assert.NotEmpty(seen);
        Assert.All(seen, e => Assert.Equal(project, e!["project_id"].S()));
        Assert.DoesNotContain(seen, e => e!["provider"]?.GetValue<string>() == "stripe");
        await (await restricted.GetAsync($"/api/v1/audit-log?project_id={a.ProjectId}")).ShouldBe(HttpStatusCode.NotFound, "project_not_found");
        Assert.Contains(await a.Client().AuditAsync($"project_id={a.ProjectId}"), e => e!["provider"]?.GetValue<string>() == "stripe");
    }

    [Fact]
    public async Task The_client_ip_of_the_request_is_recorded()
    {
        var account = await app.CreateAccountAsync();
        await account.Client().InstallAsync("stripe");
        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = "DELETE";
            c.Request.Path = $"/api/v1/projects/{account.ProjectId}/integrations/stripe";
            c.Request.Headers.Authorization = "Bearer " + account.ApiKey;
            c.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        });
        Assert.Equal(200, context.Response.StatusCode);
        var e = Assert.Single(await account.Client().AuditAsync("action=integration.disconnected"));
        Assert.Equal("203.0.113.7", e!["client_ip"].S());
    }

    [Fact]
    public async Task A_change_whose_audit_event_cannot_be_written_is_not_committed()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        var project = await client.CreateProjectAsync("to-rename");
        var trigger = "refuse_audit_" + Guid.NewGuid().ToString("N")[..8];
        await RefuseAuditEventsAsync(trigger, account.AccountId);
        try
        {
            var patch = await client.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Infrastructure.Api.Json(new { status = "paused", display_name = "x" }));
            Assert.True((int)patch.StatusCode >= 500, $"got {(int)patch.StatusCode}");
            var disconnect = await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe");
            Assert.True((int)disconnect.StatusCode >= 500, $"got {(int)disconnect.StatusCode}");
            var rename = await client.PatchAsync($"/api/v1/projects/{project}", Infrastructure.Api.Json(new { name = "renamed" }));
            Assert.True((int)rename.StatusCode >= 500, $"got {(int)rename.StatusCode}");
        }
        finally
        {
            await DropRefusalAsync(trigger);
        }

        var row = await app.WithDbAsync(db => db.Integrations.AsNoTracking().SingleAsync(i => i.AccountId == account.AccountId));
        Assert.Equal(("active", (string?)null), (row.Status, row.DisplayName));
        Assert.Equal("to-rename", await app.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.Name).SingleAsync()));
        Assert.Empty(await client.AuditAsync("action=integration.lifecycle.updated"));

        // With the audit table writable again the same change commits together with its event.
        await client.PatchLifecycleAsync(account.ProjectId, "stripe", new { status = "paused" });
        Assert.Single(await client.AuditAsync("action=integration.lifecycle.updated"));
    }

    // Test-made identifiers only (a guid fragment and an account id the service generated), so raw SQL is safe here.
    private Task RefuseAuditEventsAsync(string name, string accountId)
    {
        var sql = TestDatabase.IsPostgres
            ? $"""
              CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN IF NEW."AccountId" = '{accountId}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$;
              CREATE TRIGGER {name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION {name}();
              """
            : $"""
              CREATE TRIGGER {name} BEFORE INSERT ON audit_events WHEN NEW."AccountId" = '{accountId}'
              BEGIN SELECT RAISE(ABORT, 'audit refused'); END;
              """;
        return app.WriteDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));
    }

    private Task DropRefusalAsync(string name)
    {
        var sql = TestDatabase.IsPostgres ? $"DROP TRIGGER {name} ON audit_events; DROP FUNCTION {name}();" : $"DROP TRIGGER {name};";
        return app.WriteDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));
    }
}
