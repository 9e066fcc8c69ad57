using System.Net;
using Microsoft.AspNetCore.Http;
using Switchboard.Http.Outbound;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Outbound;

/// <summary>The guarded client itself, with nothing opened: every internal destination is refused before a connection.</summary>
public sealed class GuardedClientTests(GuardedApp app) : IClassFixture<GuardedApp>
{
    [Theory]
    [InlineData("https://127.0.0.1:{port}/", "127.0.0.1")]
    [InlineData("https://127.0.0.2:{port}/", "127.0.0.2")]
    [InlineData("https://localhost:{port}/", "localhost")]
    [InlineData("https://foo.localhost:{port}/", "foo.localhost")]
    [InlineData("https://[::1]:{port}/", "::1")]
    [InlineData("https://[::ffff:127.0.0.1]:{port}/", "::ffff:127.0.0.1")]
    [InlineData("https://[::127.0.0.1]:{port}/", "::127.0.0.1")]
    [InlineData("https://2130706433:{port}/", "127.0.0.1")]
    [InlineData("https://0x7f000001:{port}/", "127.0.0.1")]
    [InlineData("https://0177.0.0.1:{port}/", "127.0.0.1")]
    [InlineData("https://0.0.0.0:{port}/", "0.0.0.0")]
    [InlineData("https://[::]:{port}/", "::")]
    [InlineData("https://10.1.2.3:{port}/", "10.1.2.3")]
    [InlineData("https://100.64.0.1:{port}/", "100.64.0.1")]
    [InlineData("https://169.254.169.254:{port}/latest/meta-data", "169.254.169.254")]
    [InlineData("https://metadata.google.internal:{port}/", "metadata.google.internal")]
    [InlineData("https://[fe80::1]:{port}/", "fe80::1")]
    [InlineData("https://[fd00::2]:{port}/", "fd00::2")]
    [InlineData("https://loopback.internal.test:{port}/", "loopback.internal.test")]
    [InlineData("https://mapped.internal.test:{port}/", "mapped.internal.test")]
    [InlineData("https://private.internal.test:{port}/", "private.internal.test")]
    [InlineData("http://loopback.internal.test:{port}/", "loopback.internal.test")]
    [InlineData("http://127.0.0.1:{port}/", "127.0.0.1")]
    public async Task Internal_destinations_are_refused_with_no_connection(string template, string host)
    {
        using var listener = new CountingListener();
        var url = template.Replace("{port}", listener.Port.ToString());
        var refused = await Assert.ThrowsAsync<OutboundBlockedException>(() => app.Outbound.CreateClient().GetAsync(url));
        Assert.Equal(host, refused.Host);
        if (TestResolver.Names.ContainsKey(host))
            Assert.All(TestResolver.Names[host], a => Assert.DoesNotContain(a.ToString(), refused.Message));
        await Task.Delay(50);
        Assert.Equal(0, listener.Connections);
    }

    [Theory]
    [InlineData(3, HttpVersionPolicy.RequestVersionExact)]
    [InlineData(1, HttpVersionPolicy.RequestVersionOrHigher)]
    public async Task A_request_for_HTTP3_stays_on_the_guarded_TCP_path(int major, HttpVersionPolicy policy)
    {
        using var listener = new CountingListener();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{listener.Port}/")
        {
            Version = new Version(major, major == 1 ? 1 : 0), VersionPolicy = policy,
        };
        await Assert.ThrowsAsync<OutboundBlockedException>(() => app.Outbound.CreateClient().SendAsync(request));
        Assert.Equal(0, listener.Connections);
    }
}

/// <summary>Only 127.0.0.1/32 opened: it is reachable (the counter works), 127.0.0.2 is not, and redirects are not followed.</summary>
public sealed class NarrowAllowListTests(NarrowApp app) : IClassFixture<NarrowApp>
{
    [Fact]
    public async Task An_opened_address_is_reached_and_a_name_connects_to_its_first_allowed_address()
    {
        using var listener = new CountingListener();
        var direct = await app.Outbound.CreateClient().GetAsync($"http://127.0.0.1:{listener.Port}/");
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(1, listener.Connections);

        // mixed.internal.test resolves to 127.0.0.2, 10.0.0.1, 127.0.0.1: only the last is allowed, and it is the one used.
        var mixed = await app.Outbound.CreateClient().GetAsync($"http://mixed.internal.test:{listener.Port}/");
        Assert.Equal(HttpStatusCode.OK, mixed.StatusCode);
        Assert.Equal([IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.1")], listener.ConnectedTo);

        await Assert.ThrowsAsync<OutboundBlockedException>(() => app.Outbound.CreateClient().GetAsync($"http://127.0.0.2:{listener.Port}/"));
        await Assert.ThrowsAsync<OutboundBlockedException>(() => app.Outbound.CreateClient().GetAsync($"https://loopback2.internal.test:{listener.Port}/"));
        await Assert.ThrowsAsync<OutboundBlockedException>(() => app.Outbound.CreateClient().GetAsync($"http://[::1]:{listener.Port}/"));
        Assert.Equal(2, listener.Connections);
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_host_to_a_blocked_one_is_not_followed()
    {
        using var blocked = new CountingListener();
        await using var redirector = await LoopbackStandIn.StartAsync(_ =>
            Task.FromResult<IResult>(Results.Redirect($"http://127.0.0.2:{blocked.Port}/token", preserveMethod: true)));

        var client = app.Outbound.CreateClient();
        using var response = await client.PostAsync(redirector.Url + "/token", new FormUrlEncodedContent([new("grant_type", "client_credentials")]));
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal(1, redirector.Requests);

        // Through a feature: a client-credentials token request answered with a redirect fails as a rejection.
        var account = await app.CreateAccountAsync();
        var cid = await OutboundFixtures.InstallMachineAsync(account, "redirected", "OAUTH2_CLIENT_CREDENTIALS", redirector.Url, redirector.Url + "/token");
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.BadGateway, "provider_rejected");
        Assert.Equal(2, redirector.Requests);
        await Task.Delay(50);
        Assert.Equal(0, blocked.Connections);
    }
}
