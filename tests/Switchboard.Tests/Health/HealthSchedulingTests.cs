using System.Net;
using Microsoft.AspNetCore.Hosting;
using Switchboard.Tests.Infrastructure;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.Health;

/// <summary>The background monitor itself: a 1 s interval, polled every 100 ms.</summary>
public sealed class HealthMonitorLoopTests(HealthMonitorLoopTests.FastApp app) : IClassFixture<HealthMonitorLoopTests.FastApp>
{
    public sealed class FastApp : HealthApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Switchboard:Health:CheckOnInstall"] = "true",
            ["Switchboard:Health:Enabled"] = "true",
            ["Switchboard:Health:Interval"] = "00:00:01",
            ["Switchboard:Health:PollInterval"] = "00:00:00.100",
        };
    }

    [Fact]
    public async Task The_background_monitor_rechecks_installed_integrations_every_interval()
    {
        var account = await app.CreateAccountAsync();
        var key = CredentialHealthTests.GoodKey + "Loop";
        await (await account.Client().PostAsync("/api/v1/integrations/stripe/install",
            TestHttp.Json(new { secrets = new { api_key = key }, base_url_override = app.Provider.Url }))).ShouldBe(HttpStatusCode.OK);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (app.Provider.CountFor("Bearer " + key) < 3 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(app.Provider.CountFor("Bearer " + key) >= 3, "install check plus at least two periodic checks");

        // Uninstalled integrations are no longer checked.
        await (await account.Client().PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        await Task.Delay(1500);
        var settled = app.Provider.CountFor("Bearer " + key);
        await Task.Delay(1500);
        Assert.Equal(settled, app.Provider.CountFor("Bearer " + key));
    }
}

/// <summary>Production, without Switchboard:Health:AllowBaseUrlOverride.</summary>
public sealed class BaseUrlOverridePolicyTests(BaseUrlOverridePolicyTests.ProductionApp app) : IClassFixture<BaseUrlOverridePolicyTests.ProductionApp>
{
    public sealed class ProductionApp : SwitchboardApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Production");
        }
    }

    [Fact]
    public async Task Production_refuses_base_url_override_unless_allowed()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostAsync("/api/v1/integrations/monday/install",
            TestHttp.Json(new { secrets = new { api_token = "tok" }, base_url_override = "http://127.0.0.1:9" }));
        await response.ShouldBe(HttpStatusCode.BadRequest, "base_url_override_not_allowed");
        Assert.Equal(0, await app.WithDbAsync(db => Task.FromResult(db.Integrations.Count(i => i.AccountId == account.AccountId))));

        // Without the override the install works as usual.
        await (await account.Client().PostAsync("/api/v1/integrations/monday/install", TestHttp.Json(new { secrets = new { api_token = "tok" } })))
            .ShouldBe(HttpStatusCode.OK);
    }
}
