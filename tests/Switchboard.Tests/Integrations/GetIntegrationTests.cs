using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

public sealed class GetIntegrationTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Gets_by_snake_case_name_and_by_uuid_alike()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var byName = await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        var id = byName["id"]!.GetValue<string>();
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal("stripe", byName["name"]!.GetValue<string>());
        Assert.Equal("API_KEY", byName["auth_type"]!.GetValue<string>());
        Assert.Contains(byName["secret_schema"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "api_key");

        var byId = await (await client.GetAsync($"/api/v1/integrations/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(byName.ToJsonString(), byId.ToJsonString());
    }

    [Fact]
    public async Task List_entries_are_summaries_without_the_schema_that_get_returns()
    {
        var account = await app.CreateAccountAsync();
        var list = await (await account.Client().GetAsync("/api/v1/integrations?category=payments")).ShouldBe(HttpStatusCode.OK);
        var stripe = list["integrations"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "stripe")!.AsObject();
        Assert.False(stripe.ContainsKey("param_schema"));
        Assert.False(stripe.ContainsKey("secret_schema"));
        Assert.Equal("API_KEY", stripe["auth_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_uuid_stays_the_same_after_install()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var before = await (await client.GetAsync("/api/v1/integrations/hacker_news")).ShouldBe(HttpStatusCode.OK);
        var installed = await (await client.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(before["id"]!.GetValue<string>(), installed["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("no_such_provider")]
    [InlineData("Stripe")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task Unknown_ids_are_404_problems(string id)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().GetAsync($"/api/v1/integrations/{id}")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
    }

    [Fact]
    public async Task Another_accounts_integration_uuid_is_404_on_every_route()
    {
        var owner = await app.CreateAccountAsync("owner");
        var other = await app.CreateAccountAsync("other");
        var owned = await (await owner.Client().PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        var id = owned["id"]!.GetValue<string>();

        var client = other.Client();
        await (await client.GetAsync($"/api/v1/integrations/{id}")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await client.PostAsync($"/api/v1/integrations/{id}/install", null)).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await client.PostAsync($"/api/v1/integrations/{id}/uninstall", null)).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");

        var still = await (await owner.Client().GetAsync($"/api/v1/integrations/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", still["status"]!.GetValue<string>());
        Assert.Equal(1, await app.WithDbAsync(db => Task.FromResult(db.Integrations.Count(i => i.Provider == "hacker_news" && (i.AccountId == owner.AccountId || i.AccountId == other.AccountId)))));
    }
}
