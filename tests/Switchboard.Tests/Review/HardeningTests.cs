using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Review;

/// <summary>Regressions for defects a review found: each of these failed before its fix.</summary>
public sealed class HardeningTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static HttpRequestMessage Post(string url, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Api.Json(json) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    [Fact]
    public async Task Another_key_of_the_account_cannot_replay_a_response_under_the_same_idempotency_key()
    {
        var account = await app.CreateAccountAsync();
        var admin = account.Client();
        var otherProject = await admin.CreateProjectAsync("elsewhere");
        var (restricted, _) = await admin.CreateKeyAsync(otherProject, "read", "integrations:write");
        const string body = "{\"params\": {}}";

        var first = await admin.SendAsync(Post("/api/v1/integrations/hacker_news/install", body, "shared-key"));
        await first.ShouldBe(HttpStatusCode.OK);
        var replay = await app.ClientWithKey(restricted).SendAsync(Post("/api/v1/integrations/hacker_news/install", body, "shared-key"));
        await replay.ShouldBe(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.False(replay.Headers.Contains("Idempotency-Replayed"));
    }

    [Theory]
    [InlineData("/api/v1/projects/{project}/integrations/stripe/install-url")]
    public async Task Responses_that_carry_a_capability_refuse_an_idempotency_key(string template)
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().SendAsync(Post(template.Replace("{project}", account.ProjectId), "{}", "k"));
        await response.ShouldBe(HttpStatusCode.BadRequest, "idempotency_key_not_supported");
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<Switchboard.Store.IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));
    }

    [Theory]
    [InlineData("{\"settings\": {\"a\": 1, \"a\": 2}}")]
    [InlineData("{\"settings\": {\"arr\": [{\"b\": 1, \"b\": 2}]}}")]
    [InlineData("{\"action_permissions\": {\"x\": true, \"x\": false}}")]
    public async Task Duplicate_property_names_are_a_400_and_nothing_is_stored(string json)
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("hacker_news");
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/projects/{account.ProjectId}/integrations/hacker_news/lifecycle")
        { Content = Api.Json(json) };
        await (await client.SendAsync(request)).ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        var settings = await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId).Select(i => i.SettingsJson).SingleAsync());
        Assert.Equal("{}", settings);
    }

    [Fact]
    public async Task A_custom_providers_installed_integration_has_a_lifecycle_and_health()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostJson("/api/v1/providers", new Dictionary<string, object?>
        {
            ["name"] = "inhouse_api",
            ["display_name"] = "In-house API",
            ["description"] = "Our own internal API.",
            ["category"] = "developer_tools",
            ["auth_type"] = "API_KEY",
            ["api_base_url"] = "https://internal.example.com/api",
            ["docs_url"] = "https://internal.example.com/docs",
            ["logo_url"] = "https://internal.example.com/logo.png",
            ["params"] = Array.Empty<object>(),
            ["secrets"] = new[] { new { name = "api_key", type = "string", required = true, description = "Key." } },
        })).ShouldBe(HttpStatusCode.Created);
        await (await client.PostJson("/api/v1/integrations/inhouse_api/install", new { secrets = new { api_key = "inhouse-secret-1" } }))
            .ShouldBe(HttpStatusCode.OK);

        var installed = await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations")).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(installed["data"]!.AsArray(), i => i!["provider"]!.GetValue<string>() == "inhouse_api");
        var paused = await client.PatchLifecycleAsync(account.ProjectId, "inhouse_api", new { status = "paused" });
        Assert.Equal("paused", paused["data"]!["status"]!.GetValue<string>());
        var health = await (await client.GetAsync("/api/v1/integrations/inhouse_api/health")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unknown", health["health_status"]!.GetValue<string>());
        var catalog = await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations/catalog?q=in-house")).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(catalog["data"]!.AsArray(), i => i!["provider"]!.GetValue<string>() == "inhouse_api");
    }
}
