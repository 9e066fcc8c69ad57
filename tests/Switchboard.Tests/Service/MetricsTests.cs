using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>/metrics: Prometheus text, Switchboard's own instruments beside ASP.NET Core's, counts only.</summary>
public sealed class MetricsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private const string Secret = "sk_test_METRICSMETRICSMETRICS42";

    [Fact]
    public async Task An_install_moves_the_installs_and_audit_counters()
    {
        var account = await app.CreateAccountAsync("metrics");
        var before = await Scrape(app.CreateClient());
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install",
            new { @params = new { api_version = "2024-06-20" }, secrets = new { api_key = Secret } })).ShouldBe(HttpStatusCode.OK);

        // The exporter caches a scrape for a moment; the counter shows within a few scrapes.
        string after = before;
        for (var i = 0; i < 50 && Value(after, "switchboard_installs_total") <= Value(before, "switchboard_installs_total"); i++)
        {
            await Task.Delay(100);
            after = await Scrape(app.CreateClient());
        }
        Assert.True(Value(after, "switchboard_installs_total") > Value(before, "switchboard_installs_total"), after);
        Assert.True(Value(after, "switchboard_audit_appends_total") > Value(before, "switchboard_audit_appends_total"));
        // ASP.NET Core's instruments (http_server_request_duration_seconds by route) are exported too, but not asserted
        // here: in this test process many hosts share one instrument name, and the disposal of another fixture's host
        // ends that stream in every provider. Switchboard's own meter is static and never disposed.
        if (!TestDatabase.IsPostgres) Assert.Contains("switchboard_group_commit_batch_size_count", after);

        // Counts only: nothing of the tenant.
        Assert.DoesNotContain(account.AccountId, after);
        Assert.DoesNotContain(account.ProjectId, after);
        Assert.DoesNotContain(Secret, after);
        Assert.DoesNotContain("sk_live_", after);
    }

    internal static async Task<string> Scrape(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum over every series of a metric (0 while it has none).</summary>
    internal static double Value(string scrape, string metric) =>
        Regex.Matches(scrape, $@"(?m)^{Regex.Escape(metric)}(?:\{{[^}}]*\}})? ([0-9.eE+-]+)")
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}

public sealed class MetricsOffApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings) { ["Switchboard:Metrics:Enabled"] = "false" };
}

public sealed class MetricsOffTests(MetricsOffApp app) : IClassFixture<MetricsOffApp>
{
    [Fact]
    public async Task Metrics_enabled_false_turns_the_endpoint_off() =>
        await (await app.CreateClient().GetAsync("/metrics")).ShouldBe(HttpStatusCode.NotFound, "not_found");
}
