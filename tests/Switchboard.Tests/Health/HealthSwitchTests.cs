using System.Net;
using Switchboard.Tests.Infrastructure;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.Health;

/// <summary>Switchboard:Health:Enabled=false with CheckOnInstall=true (its default).</summary>
public sealed class HealthSwitchTests(HealthSwitchTests.ChecksOffApp app) : IClassFixture<HealthSwitchTests.ChecksOffApp>
{
    public sealed class ChecksOffApp : HealthApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Switchboard:Health:Enabled"] = "false",
            ["Switchboard:Health:CheckOnInstall"] = "true",
        };
    }

    [Fact]
    public async Task Enabled_false_turns_off_the_install_time_check_but_a_check_on_request_still_runs()
    {
        var account = await app.CreateAccountAsync();
        var key = CredentialHealthTests.GoodKey + "Off";
        await (await account.Client().PostAsync("/api/v1/integrations/stripe/install",
            TestHttp.Json(new { secrets = new { api_key = key }, base_url_override = app.Provider.Url }))).ShouldBe(HttpStatusCode.OK);

        Assert.Equal(0, app.Provider.CountFor("Bearer " + key));
        var health = await (await account.Client().GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", health["health_status"]!.GetValue<string>());
        Assert.Null(health["last_synced_at"]);

        var checkedNow = await (await account.Client().PostAsync("/api/v1/integrations/stripe/health/check", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("healthy", checkedNow["health_status"]!.GetValue<string>());
        Assert.Equal(1, app.Provider.CountFor("Bearer " + key));
    }
}
