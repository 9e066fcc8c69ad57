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
        var byCategory = body["counts"]!["by_category"]!.AsObject();
        Assert.Equal(items.Count, byCategory.Sum(c => c.Value!.GetValue<int>()));
        Assert.Null(body["next_cursor"]);
    }
}
