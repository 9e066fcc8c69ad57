using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Outbound;

/// <summary>Every feature that sends on a tenant's behalf goes through the guard, and a refusal is answered plainly.</summary>
public sealed class OutboundFeatureTests(GuardedApp app) : IClassFixture<GuardedApp>
{
    [Fact]
    public async Task A_code_exchange_against_a_name_resolving_to_loopback_sends_nothing_and_ends_the_flow_in_outbound_blocked()
    {
        using var listener = new CountingListener();
        var account = await app.CreateAccountAsync();
        var cid = await OutboundFixtures.InstallOAuthAsync(account,
            OutboundFixtures.OAuthProvider("rebinding", $"https://loopback.internal.test:{listener.Port}/oauth/token"));

        var back = await OutboundFixtures.CallbackWithCodeAsync(app, account, cid, "alice");
        Assert.Equal("app.example.com", back.Host);
        var query = OAuthDriver.Query(back);
        Assert.Equal("error", query["status"]);
        Assert.Equal("outbound_blocked", query["error"]);
        Assert.Equal(0, listener.Connections);

        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/alice")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", user["status"]!.GetValue<string>());
        Assert.Equal("outbound_blocked", user["lastError"]!.GetValue<string>());
        var audit = Assert.Single(await app.OutboundAuditAsync(account.AccountId));
        Assert.Equal(($"loopback.internal.test", "oauth.code_exchange"), OutboundFixtures.Parse(audit));
        Assert.DoesNotContain("127.0.0.1", audit);
        Assert.DoesNotContain("CLIENT-SECRET", audit);
    }

    [Theory]
    [InlineData("OAUTH2_CLIENT_CREDENTIALS", "loopback.internal.test", "oauth.client_credentials")]
    [InlineData("GOOGLE_SERVICE_ACCOUNT", "private.internal.test", "oauth.jwt_bearer")]
    [InlineData("AWS_ASSUME_ROLE", "metadata.internal.test", "aws.assume_role")]
    public async Task A_machine_token_request_to_an_internal_address_is_a_502_outbound_blocked(string authType, string host, string feature)
    {
        using var listener = new CountingListener();
        var account = await app.CreateAccountAsync();
        var url = $"https://{host}:{listener.Port}";
        var cid = await OutboundFixtures.InstallMachineAsync(account, "machine_" + feature.Replace('.', '_'), authType, url,
            authType == "AWS_ASSUME_ROLE" ? null : url + "/token");

        var refused = await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal(host, refused["host"]!.GetValue<string>());
        Assert.Contains(host, refused["detail"]!.GetValue<string>());
        Assert.All(TestResolver.Names[host], a => Assert.DoesNotContain(a.ToString(), refused.ToJsonString()));
        Assert.Equal(0, listener.Connections);
        var audit = Assert.Single(await app.OutboundAuditAsync(account.AccountId));
        Assert.Equal((host, feature), OutboundFixtures.Parse(audit));
        Assert.DoesNotContain("SECRET", audit);
    }

    [Fact]
    public async Task A_health_check_against_an_internal_address_is_a_502_and_recorded_as_unknown_naming_the_host()
    {
        using var listener = new CountingListener();
        var account = await app.CreateAccountAsync();
        // The install-time check is refused too, and the install stands.
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new
        {
            secrets = new { api_key = "sk_test_abcdefghijklmnop" }, base_url_override = $"https://loopback.internal.test:{listener.Port}",
        })).ShouldBe(HttpStatusCode.OK);
        var refused = await (await account.Client().PostAsync("/api/v1/integrations/stripe/health/check", null))
            .ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal("loopback.internal.test", refused["host"]!.GetValue<string>());

        var health = await (await account.Client().GetAsync("/api/v1/integrations/stripe/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", health["health_status"]!.GetValue<string>());
        Assert.Contains("loopback.internal.test", health["error_message"]!.GetValue<string>());
        Assert.DoesNotContain("127.0.0.1", health["error_message"]!.GetValue<string>());
        Assert.Equal(0, listener.Connections);
        var audits = await app.OutboundAuditAsync(account.AccountId);
        Assert.Equal(2, audits.Count);
        Assert.All(audits, a => Assert.Equal(("loopback.internal.test", "health.check"), OutboundFixtures.Parse(a)));
        Assert.DoesNotContain("sk_test_abcdefghijklmnop", app.Logs.All);
    }

    [Fact]
    public async Task A_tool_call_a_proxied_request_and_an_mcp_check_to_a_name_resolving_to_loopback_send_nothing_and_answer_502()
    {
        using var listener = new CountingListener();
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var target = $"https://loopback.internal.test:{listener.Port}";
        await (await client.PostJson("/api/v1/integrations/stripe/install", new
        {
            secrets = new { api_key = "sk_test_abcdefghijklmnop" }, base_url_override = target,
        })).ShouldBe(HttpStatusCode.OK);

        var invoked = await (await client.PostJson("/api/v1/native-tools/stripe.get_customer/invoke", new { input = new { customer_id = "cus_1" } }))
            .ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal("loopback.internal.test", invoked["host"]!.GetValue<string>());
        var proxied = await (await client.GetAsync("/api/v1/proxy/stripe/v1/customers/cus_1")).ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal("loopback.internal.test", proxied["host"]!.GetValue<string>());

        var created = await (await client.PostJson("/api/v1/mcp-connections", new { name = "rebinding", url = target + "/mcp" })).ShouldBe(HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var refreshed = await (await client.PostAsync($"/api/v1/mcp-connections/{id}/refresh", null)).ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal("loopback.internal.test", refreshed["host"]!.GetValue<string>());
        var connection = await (await client.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", connection["status"]!.GetValue<string>());

        Assert.Equal(0, listener.Connections);
        foreach (var answer in new[] { invoked, proxied, refreshed })
            Assert.All(TestResolver.Names["loopback.internal.test"], a => Assert.DoesNotContain(a.ToString(), answer.ToJsonString()));
        Assert.DoesNotContain("sk_test_abcdefghijklmnop", app.Logs.All);
    }
}

/// <summary>
/// A connected user whose provider is later pointed at an internal address: the refresh is refused, the user is marked
/// error (not retried forever), and deleting the user records the refused revocation.
/// </summary>
public sealed class OutboundRefreshTests(NarrowApp app) : IClassFixture<NarrowApp>
{
    [Fact]
    public async Task A_refresh_and_a_revocation_to_a_blocked_host_are_refused_and_end_the_connection_in_error()
    {
        using var blocked = new CountingListener();
        await using var tokens = await LoopbackStandIn.StartAsync(_ => Task.FromResult<IResult>(
            Results.Json(new { access_token = "at-1", refresh_token = "rt-1", token_type = "Bearer", expires_in = 60 })));
        var account = await app.CreateAccountAsync();
        var cid = await OutboundFixtures.InstallOAuthAsync(account,
            OutboundFixtures.OAuthProvider("moving", tokens.Url + "/token", tokens.Url + "/revoke"));
        var back = await OutboundFixtures.CallbackWithCodeAsync(app, account, cid, "bob");
        Assert.Equal("success", OAuthDriver.Query(back)["status"]);
        Assert.Equal(1, tokens.Requests);

        // The tenant repoints the provider at a name that resolves to 127.0.0.2 (not opened here).
        var moved = OutboundFixtures.OAuthProvider("moving", $"https://loopback2.internal.test:{blocked.Port}/token",
            $"https://loopback2.internal.test:{blocked.Port}/revoke");
        await (await account.Client().PutAsync("/api/v1/providers/moving", Api.Json(moved))).ShouldBe(HttpStatusCode.OK);

        // The token expires within the refresh margin, so the read refreshes first.
        var refused = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/bob/credentials"))
            .ShouldBe(HttpStatusCode.BadGateway, "outbound_blocked");
        Assert.Equal("loopback2.internal.test", refused["host"]!.GetValue<string>());
        Assert.DoesNotContain("127.0.0.2", refused.ToJsonString());
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/bob")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", user["status"]!.GetValue<string>());
        Assert.Equal("outbound_blocked", user["lastError"]!.GetValue<string>());
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/bob/credentials")).ShouldBe(HttpStatusCode.Conflict, "connection_not_active");

        Assert.Equal(HttpStatusCode.NoContent, (await account.Client().DeleteAsync($"/v1/integrations/{cid}/users/bob")).StatusCode);
        var audits = (await app.OutboundAuditAsync(account.AccountId)).Select(OutboundFixtures.Parse).ToList();
        Assert.Equal([("loopback2.internal.test", "oauth.refresh"), ("loopback2.internal.test", "oauth.revoke")], audits);
        var actions = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync());
        Assert.Contains("oauth.connection.error", actions);
        Assert.Equal(0, blocked.Connections);
        Assert.Equal(1, tokens.Requests);
    }
}
