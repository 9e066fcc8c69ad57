using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.RateLimiting;
using Switchboard.Tests.Infrastructure;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.RateLimiting;

/// <summary>A small bucket: 3 requests at once, then 1 per second.</summary>
public sealed class RateLimitTests(RateLimitTests.SmallBucketApp app) : IClassFixture<RateLimitTests.SmallBucketApp>
{
    public sealed class SmallBucketApp : SwitchboardApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Switchboard:RateLimit:PermitsPerSecond"] = "1",
            ["Switchboard:RateLimit:Burst"] = "3",
        };
    }

    private const string List = "/api/v1/integrations?limit=1";

    [Fact]
    public async Task Requests_beyond_the_burst_get_429_with_retry_after_and_a_problem_body()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        for (var i = 0; i < 3; i++) await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.OK);

        var limited = await client.GetAsync(List);
        var body = await limited.ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 2);
        Assert.Equal((int)retryAfter.Value.TotalSeconds, body["retry_after"]!.GetValue<int>());
    }

    [Fact]
    public async Task Writes_are_limited_too_and_a_limited_write_changes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        for (var i = 0; i < 3; i++) await client.GetAsync(List);

        var install = await client.PostAsync("/api/v1/integrations/monday/install", TestHttp.Json(new { secrets = new { api_token = "tok" } }));
        await install.ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        var installed = await app.WithDbAsync(db => Task.FromResult(db.Integrations.Count(i => i.AccountId == account.AccountId)));
        Assert.Equal(0, installed);
    }

    [Fact]
    public async Task Tokens_come_back_at_the_configured_rate()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        for (var i = 0; i < 3; i++) await client.GetAsync(List);
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");

        await Task.Delay(1100); // one token per second
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Fact]
    public async Task Each_api_key_has_its_own_bucket_so_another_account_is_not_affected()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        var installed = await (await a.Client().PostAsync("/api/v1/integrations/monday/install", TestHttp.Json(new { secrets = new { api_token = "t" } })))
            .ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++) await a.Client().GetAsync(List);
        await (await a.Client().GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");

        await (await b.Client().GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        // Another account's resource is still a 404 for a caller with tokens left.
        await (await b.Client().PostAsync($"/api/v1/integrations/{installed["id"]!.GetValue<string>()}/uninstall", TestHttp.Json(new { })))
            .ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
    }

    [Fact]
    public async Task The_admin_token_is_limited_per_account_it_acts_on()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        var adminA = app.AdminClient(a.AccountId);
        for (var i = 0; i < 3; i++) await (await adminA.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        await (await adminA.GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");

        await (await app.AdminClient(b.AccountId).GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        // The account's own API key is a different caller.
        await (await a.Client().GetAsync(List)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_bucket_left_idle_is_dropped_so_the_buckets_kept_do_not_grow_without_bound()
    {
        var limits = app.Services.GetRequiredService<ApiKeyRateLimits>();
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var before = limits.BucketsMade;
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(before + 1, limits.BucketsMade);

        // Full again after 2 s (1 token/s, burst 3); the partitioned limiter drops a bucket that has been full for 10 s.
        await Task.Delay(TimeSpan.FromSeconds(14));
        await (await client.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(before + 2, limits.BucketsMade);
    }

    [Fact]
    public async Task Unauthenticated_requests_get_401_not_429()
    {
        var anonymous = app.CreateClient();
        for (var i = 0; i < 6; i++) await (await anonymous.GetAsync(List)).ShouldBe(HttpStatusCode.Unauthorized, "missing_credentials");
    }
}

public sealed class RateLimitDisabledTests(RateLimitDisabledTests.NoLimitApp app) : IClassFixture<RateLimitDisabledTests.NoLimitApp>
{
    public sealed class NoLimitApp : SwitchboardApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Switchboard:RateLimit:Enabled"] = "false",
            ["Switchboard:RateLimit:Burst"] = "1",
        };
    }

    [Fact]
    public async Task With_limits_disabled_nothing_is_limited()
    {
        var account = await app.CreateAccountAsync();
        for (var i = 0; i < 5; i++) await (await account.Client().GetAsync("/api/v1/integrations?limit=1")).ShouldBe(HttpStatusCode.OK);
    }
}
