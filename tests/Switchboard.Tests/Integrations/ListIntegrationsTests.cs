using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

public sealed class ListIntegrationsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Lists_the_whole_catalog_as_available_with_counts()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().GetAsync("/api/v1/integrations?limit=200")).ShouldBe(HttpStatusCode.OK);

        var items = body["integrations"]!.AsArray();
        Assert.True(items.Count >= 40, $"catalog has {items.Count} providers");
        Assert.All(items, i => Assert.Equal("available", i!["status"]!.GetValue<string>()));
        Assert.Equal(items.Count, body["counts"]!["total"]!.GetValue<int>());
        Assert.Equal(items.Count, body["counts"]!["available"]!.GetValue<int>());
        Assert.Equal(0, body["counts"]!["installed"]!.GetValue<int>());
        var byCategory = body["counts"]!["by_category"]!.AsObject();
        Assert.Equal(items.Count, byCategory.Sum(c => c.Value!.GetValue<int>()));
        Assert.Equal(items.Count(i => i!["category"]!.GetValue<string>() == "payments"), byCategory["payments"]!.GetValue<int>());
        Assert.Null(body["next_cursor"]);
    }

    [Fact]
    public async Task Status_filter_separates_installed_from_available()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);

        var installed = await (await client.GetAsync("/api/v1/integrations?status=installed")).ShouldBe(HttpStatusCode.OK);
        var names = installed["integrations"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["hacker_news"], names);
        Assert.Equal(1, installed["counts"]!["installed"]!.GetValue<int>());

        var available = await (await client.GetAsync("/api/v1/integrations?status=available&limit=200")).ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(available["integrations"]!.AsArray(), i => i!["name"]!.GetValue<string>() == "hacker_news");
    }

    [Fact]
    public async Task Category_filter_returns_only_that_category_and_keeps_counts_for_all_categories()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().GetAsync("/api/v1/integrations?category=payments")).ShouldBe(HttpStatusCode.OK);
        var items = body["integrations"]!.AsArray();
        Assert.Contains(items, i => i!["name"]!.GetValue<string>() == "stripe");
        Assert.All(items, i => Assert.Equal("payments", i!["category"]!.GetValue<string>()));
        Assert.Equal(items.Count, body["counts"]!["total"]!.GetValue<int>());
        Assert.True(body["counts"]!["by_category"]!.AsObject().Count > 5);
    }

    [Fact]
    public async Task Cursor_paging_walks_every_entry_exactly_once()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var all = await (await client.GetAsync("/api/v1/integrations?limit=200")).ShouldBe(HttpStatusCode.OK);
        var expected = all["integrations"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = "/api/v1/integrations?limit=7" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await (await client.GetAsync(url)).ShouldBe(HttpStatusCode.OK);
            var items = page["integrations"]!.AsArray();
            Assert.True(items.Count <= 7);
            seen.AddRange(items.Select(i => i!["name"]!.GetValue<string>()));
            cursor = page["next_cursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null && pages < 100);

        Assert.Equal(expected, seen);
        Assert.Equal((expected.Count + 6) / 7, pages);
    }

    [Theory]
    [InlineData("status=bogus", "invalid_filter")]
    [InlineData("category=not_a_category", "invalid_filter")]
    [InlineData("limit=0", "invalid_limit")]
    [InlineData("limit=abc", "invalid_limit")]
    [InlineData("limit=100000", "invalid_limit")]
    [InlineData("cursor=%%%", "invalid_cursor")]
    public async Task Bad_query_parameters_are_400_problems(string query, string code)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().GetAsync("/api/v1/integrations?" + query)).ShouldBe(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task The_seed_base_url_v1_serves_the_same_endpoints()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var a = await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        var b = await (await client.GetAsync("/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(a.ToJsonString(), b.ToJsonString());
    }

    [Fact]
    public async Task Mcp_connections_and_native_tools_are_empty_lists()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var mcp = await (await client.GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(mcp["mcp_connections"]!.AsArray());
        var tools = await (await client.GetAsync("/v1/native-tools")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(tools["native_tools"]!.AsArray());
    }
}
