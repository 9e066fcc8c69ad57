using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Health;
using Switchboard.Tests.Infrastructure;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.Health;

/// <summary>Checks on (install-time included) but the periodic poll a day away (the tests drive it); base_url_override allowed.</summary>
public class HealthApp : SwitchboardApp
{
    public StandInProvider Provider { get; private set; } = null!;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:Health:CheckOnInstall"] = "true",
        ["Switchboard:Health:Enabled"] = "true",
        ["Switchboard:Health:PollInterval"] = "1.00:00:00",
        ["Switchboard:Health:AllowBaseUrlOverride"] = "true",
        ["Switchboard:Health:Timeout"] = "00:00:05",
    };

    public IDictionary<string, string?> SharedSettings => Settings;

    public override async Task InitializeAsync()
    {
        Provider = await StandInProvider.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Provider is not null) Provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}

public sealed class CredentialHealthTests(HealthApp app) : IClassFixture<HealthApp>
{
    public const string GoodKey = "sk_test_goodKey0123456789";
    public const string BadKey = "sk_test_revokedKey987654321";

    private Task<HttpResponseMessage> InstallStripe(HttpClient client, string key, string? baseUrl = null) =>
        client.PostAsync("/api/v1/integrations/stripe/install",
            TestHttp.Json(new { secrets = new { api_key = key }, base_url_override = baseUrl ?? app.Provider.Url }));

    [Fact]
    public async Task A_key_the_provider_accepts_is_healthy_after_install()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var key = GoodKey + "A";
        await (await InstallStripe(client, key)).ShouldBe(HttpStatusCode.OK);

        var health = await (await client.GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("healthy", health["health_status"]!.GetValue<string>());
        Assert.Null(health["error_message"]);
        Assert.True(health["last_synced_at"]!.GetValue<DateTime>() > DateTime.UtcNow.AddMinutes(-1));
        Assert.True(health["next_check_at"]!.GetValue<DateTime>() > DateTime.UtcNow.AddMinutes(59), "next check one interval later");
        Assert.Equal(app.Provider.Url, health["base_url_override"]!.GetValue<string>());

        var sent = Assert.Single(app.Provider.Requests, r => r.Authorization == "Bearer " + key);
        Assert.Equal(("GET", "/v1/account"), (sent.Method, sent.Path));
        Assert.DoesNotContain(key, app.Logs.All);
        Assert.DoesNotContain(StandInProvider.BodyMarker, app.Logs.All);
    }

    [Fact]
    public async Task A_key_the_provider_rejects_is_unhealthy_with_the_status_but_the_install_stands()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var key = BadKey + "B";
        var installed = await (await InstallStripe(client, key)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", installed["status"]!.GetValue<string>());

        var health = await (await client.GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unhealthy", health["health_status"]!.GetValue<string>());
        Assert.Equal("verification returned HTTP 401", health["error_message"]!.GetValue<string>());
        Assert.Equal(1, app.Provider.CountFor("Bearer " + key));

        var stored = await app.WithDbAsync(db => db.Integrations.AsNoTracking().SingleAsync(i => i.AccountId == account.AccountId));
        Assert.DoesNotContain(StandInProvider.BodyMarker, stored.ErrorMessage + stored.ParamsJson + stored.SettingsJson);
        Assert.DoesNotContain(key, app.Logs.All);
        var change = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .SingleAsync(e => e.AccountId == account.AccountId && e.Action == "integration.health_changed"));
        Assert.Equal(("api_key", account.ApiKeyId), (change.ActorType, change.ActorId));
        Assert.Contains("unhealthy", change.DataJson);
        Assert.DoesNotContain(key, change.DataJson);
    }

    [Fact]
    public async Task Replacing_the_key_rechecks_and_check_now_runs_the_request_again()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var key = GoodKey + "C";
        await (await InstallStripe(client, BadKey + "C")).ShouldBe(HttpStatusCode.OK);
        await (await InstallStripe(client, key)).ShouldBe(HttpStatusCode.OK);
        var health = await (await client.GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("healthy", health["health_status"]!.GetValue<string>());

        var now = await (await client.PostAsync("/api/v1/integrations/stripe/health/check", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("healthy", now["health_status"]!.GetValue<string>());
        Assert.Equal(2, app.Provider.CountFor("Bearer " + key));
        // unknown -> unhealthy -> healthy; the check that found it still healthy changed nothing worth an event.
        Assert.Equal(2, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.health_changed")));
    }

    [Fact]
    public async Task A_check_that_ends_after_the_key_was_replaced_does_not_overwrite_the_new_keys_health()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var (oldKey, newKey) = (BadKey + "R", GoodKey + "R");
        await (await InstallStripe(client, oldKey)).ShouldBe(HttpStatusCode.OK);
        var held = app.Provider.Hold("Bearer " + oldKey);
        var slowCheck = client.PostAsync("/api/v1/integrations/stripe/health/check", null);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (app.Provider.CountFor("Bearer " + oldKey) < 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(2, app.Provider.CountFor("Bearer " + oldKey)); // the install's check, then the held one

        await (await InstallStripe(client, newKey)).ShouldBe(HttpStatusCode.OK); // checked at install: healthy
        held.SetResult();
        var answered = await (await slowCheck).ShouldBe(HttpStatusCode.OK);

        // The old key's 401 arrived last, but it was about credentials no longer installed: the new key's result stands.
        Assert.Equal("healthy", answered["health_status"]!.GetValue<string>());
        var stored = await (await client.GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("healthy", stored["health_status"]!.GetValue<string>());
        // unknown -> unhealthy (old key at install) -> healthy (new key at install); nothing for the dropped result.
        var changes = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId && e.Action == "integration.health_changed")
            .Select(e => e.DataJson).ToListAsync());
        Assert.Equal(2, changes.Count);
    }

    [Fact]
    public async Task An_unreachable_provider_leaves_health_unknown_and_the_install_succeeds()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await InstallStripe(client, GoodKey + "D", "http://127.0.0.1:1")).ShouldBe(HttpStatusCode.OK);

        var health = await (await client.GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", health["health_status"]!.GetValue<string>());
        Assert.Equal("verification request failed: provider unreachable", health["error_message"]!.GetValue<string>());
        Assert.DoesNotContain(GoodKey + "D", app.Logs.All);
    }

    [Fact]
    public async Task Providers_without_a_verify_request_or_needing_an_oauth_token_are_unknown()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostAsync("/api/v1/integrations/monday/install", TestHttp.Json(new { secrets = new { api_token = "tok" } })))
            .ShouldBe(HttpStatusCode.OK);
        var monday = await (await client.GetAsync("/api/v1/integrations/monday/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", monday["health_status"]!.GetValue<string>());
        Assert.Null(monday["error_message"]);

        await (await client.PostAsync("/api/v1/integrations/github/install",
                TestHttp.Json(new { @params = new { client_id = "Iv1.abc" }, secrets = new { client_secret = "cs" }, base_url_override = app.Provider.Url })))
            .ShouldBe(HttpStatusCode.OK);
        var github = await (await client.GetAsync("/api/v1/integrations/github/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", github["health_status"]!.GetValue<string>());
        Assert.Contains("OAuth access token", github["error_message"]!.GetValue<string>());
        Assert.DoesNotContain(app.Provider.Requests, r => r.Path == "/user");
        // unknown stays unknown: no health change to audit.
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.health_changed")));
    }

    [Fact]
    public async Task Another_accounts_integration_health_is_404_and_its_provider_is_not_called()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        var key = GoodKey + "E";
        var installed = await (await InstallStripe(a.Client(), key)).ShouldBe(HttpStatusCode.OK);
        var id = installed["id"]!.GetValue<string>();

        await (await b.Client().GetAsync($"/api/v1/integrations/{id}/health")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await b.Client().PostAsync($"/api/v1/integrations/{id}/health/check", null)).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        // Installed in a, not in b.
        await (await b.Client().GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        Assert.Equal(1, app.Provider.CountFor("Bearer " + key));
    }

    [Theory]
    [InlineData("ftp://example.com")]
    [InlineData("not a url")]
    [InlineData("http://user:pw@example.com")]
    [InlineData("https://example.com/?q=1")]
    public async Task An_invalid_base_url_override_is_400_and_nothing_is_written(string url)
    {
        var account = await app.CreateAccountAsync();
        var body = await (await InstallStripe(account.Client(), GoodKey + "F", url)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("base_url_override", body["errors"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Wrong_type_for_base_url_override_is_400()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostAsync("/api/v1/integrations/stripe/install",
            TestHttp.Json(new { secrets = new { api_key = GoodKey }, base_url_override = 42 }));
        await response.ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Periodic_checks_are_claimed_once_per_interval_across_two_nodes_on_one_database()
    {
        var keys = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var account = await app.CreateAccountAsync($"lease{i}");
            var key = $"{GoodKey}L{i}";
            keys.Add("Bearer " + key);
            await (await InstallStripe(account.Client(), key)).ShouldBe(HttpStatusCode.OK);
        }
        await using var second = new SecondNode(app);
        var nodes = new[] { app.Services.GetRequiredService<HealthMonitor>(), second.Services.GetRequiredService<HealthMonitor>() };

        var later = DateTime.UtcNow.AddHours(2);
        var ran = await Task.WhenAll(nodes.Select(n => n.RunDueChecksAsync(later, CancellationToken.None)));
        // Integrations installed by other tests of this fixture are due too; ours were each checked exactly once more.
        Assert.All(keys, k => Assert.Equal(2, app.Provider.CountFor(k)));
        Assert.True(ran.Sum() >= keys.Count);

        var again = await Task.WhenAll(nodes.Select(n => n.RunDueChecksAsync(later, CancellationToken.None)));
        Assert.Equal(0, again.Sum());
        Assert.All(keys, k => Assert.Equal(2, app.Provider.CountFor(k)));

        await Task.WhenAll(nodes.Select(n => n.RunDueChecksAsync(later.AddHours(1.1), CancellationToken.None)));
        Assert.All(keys, k => Assert.Equal(3, app.Provider.CountFor(k)));
        var systemEvents = await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.Action == "integration.health_changed" && e.ActorType == "system"));
        Assert.Equal(0, systemEvents); // still healthy: periodic checks that change nothing are not audited
    }

    /// <summary>A second host of the service on the same database, as another node would be.</summary>
    private sealed class SecondNode(HealthApp first) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("Switchboard:Database:Provider", first.Database.Provider);
            builder.UseSetting("Switchboard:Database:ConnectionString", first.Database.ConnectionString);
            builder.UseSetting("Switchboard:Bootstrap", "false");
            foreach (var (key, value) in first.SharedSettings) builder.UseSetting(key, value);
        }
    }
}
