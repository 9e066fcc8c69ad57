using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>List pages are cached per node: a write on the node shows at once, a write on another node within the TTL.</summary>
public sealed class ListCacheTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static async Task<string?> StatusOf(HttpClient client, string provider)
    {
        var body = await (await client.GetAsync("/api/v1/integrations?limit=200")).ShouldBe(HttpStatusCode.OK);
        return body["integrations"]!.AsArray().FirstOrDefault(i => i!["name"]!.GetValue<string>() == provider)?["status"]?.GetValue<string>();
    }

    [Fact]
    public async Task A_write_on_this_node_shows_in_the_next_list_at_once()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        Assert.Equal("available", await StatusOf(client, "hacker_news"));
        await (await client.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", await StatusOf(client, "hacker_news"));
        await (await client.PostAsync("/api/v1/integrations/hacker_news/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("available", await StatusOf(client, "hacker_news"));
    }

    [Fact]
    public async Task Pages_of_one_account_are_not_served_to_another()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await (await a.Client().PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", await StatusOf(a.Client(), "hacker_news"));
        Assert.Equal("available", await StatusOf(b.Client(), "hacker_news"));
    }

    [Fact]
    public async Task A_write_on_another_node_shows_within_the_cache_lifetime()
    {
        await using var other = await NodeApp.StartAsync(app.Database);
        var account = await app.CreateAccountAsync();
        var here = account.Client();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("available", await StatusOf(here, "open_meteo"));   // cached on this node
        var cachedBy = clock.Elapsed;

        await (await other.ClientWithKey(account.ApiKey).PostAsync("/api/v1/integrations/open_meteo/install", null)).ShouldBe(HttpStatusCode.OK);
        // Timed by when each poll starts, not how long it takes (a slow machine may take long to answer): a poll that
        // starts once the cached page has expired (ListCacheTtl, 1 s) must see the install, committed before polling began.
        var lastMiss = TimeSpan.Zero;
        string? status;
        do
        {
            var started = clock.Elapsed;
            status = await StatusOf(here, "open_meteo");
            if (status == "installed") break;
            lastMiss = started;
            await Task.Delay(100);
        } while (clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal("installed", status);
        Assert.True(lastMiss < cachedBy + TimeSpan.FromSeconds(1.25), $"cached by {cachedBy}, still stale at a poll started at {lastMiss}");
    }
}
