using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Idempotency;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using TestHttp = Switchboard.Tests.Infrastructure.Api;

namespace Switchboard.Tests.Idempotency;

public sealed class IdempotencyKeyTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private const string MondayInstall = "/api/v1/integrations/monday/install";
    private static readonly object Body = new { @params = new { api_version = "2024-10" }, secrets = new { api_token = "tok-idem-1" } };

    private static HttpRequestMessage Post(string url, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = TestHttp.Json(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> MondayAsync(HttpClient client) =>
        await (await client.GetAsync("/api/v1/integrations/monday")).ShouldBe(HttpStatusCode.OK);

    private Task<int> CountEventsAsync(string accountId, string action) =>
        app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == accountId && e.Action == action));

    [Fact]
    public async Task Same_key_and_same_body_replays_the_stored_status_and_body_without_a_second_effect()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();

        var first = await client.SendAsync(Post(MondayInstall, Body, "install-1"));
        var firstText = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));

        var second = await client.SendAsync(Post(MondayInstall, Body, "install-1"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(firstText, await second.Content.ReadAsStringAsync());
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal("true", second.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());

        // The /v1 alias is the same route, so the same key replays there too.
        var viaAlias = await client.SendAsync(Post("/v1/integrations/monday/install", Body, "install-1"));
        Assert.Equal(firstText, await viaAlias.Content.ReadAsStringAsync());

        Assert.Equal(1, await CountEventsAsync(account.AccountId, "integration.installed"));
        var stored = await app.WithDbAsync(db => db.Set<IdempotencyRecord>().SingleAsync(r => r.AccountId == account.AccountId));
        Assert.Equal(IdempotencyStates.Completed, stored.State);
        Assert.Equal(200, stored.ResponseStatus);
        Assert.True(stored.ExpiresAt > DateTime.UtcNow.AddHours(23), "kept 24 h by default");
    }

    [Fact]
    public async Task Same_key_with_a_different_body_is_422_and_changes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        (await client.SendAsync(Post(MondayInstall, Body, "k-422"))).EnsureSuccessStatusCode();

        var other = new { @params = new { api_version = "2025-01" }, secrets = new { api_token = "tok-other" } };
        await (await client.SendAsync(Post(MondayInstall, other, "k-422"))).ShouldBe((HttpStatusCode)422, "idempotency_key_reused");
        // Same body, other path: also a different request.
        await (await client.SendAsync(Post("/api/v1/integrations/monday/uninstall", Body, "k-422"))).ShouldBe((HttpStatusCode)422, "idempotency_key_reused");

        var view = await MondayAsync(client);
        Assert.Equal("2024-10", view["params"]!["api_version"]!.GetValue<string>());
        Assert.Equal("installed", view["status"]!.GetValue<string>());
        Assert.Equal(0, await CountEventsAsync(account.AccountId, "integration.uninstalled"));
    }

    [Fact]
    public async Task Fifty_concurrent_requests_under_one_key_have_exactly_one_effect()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            var r = await client.SendAsync(Post(MondayInstall, Body, "fifty"));
            return (r.StatusCode, Text: await r.Content.ReadAsStringAsync());
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{(int)r.StatusCode}: {r.Text}"));
        var oks = responses.Where(r => r.StatusCode == HttpStatusCode.OK).Select(r => r.Text).Distinct().ToList();
        Assert.Single(oks);
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.Conflict), r => Assert.Contains("idempotency_request_in_flight", r.Text));
        Assert.Equal(1, await CountEventsAsync(account.AccountId, "integration.installed"));

        var after = await client.SendAsync(Post(MondayInstall, Body, "fifty"));
        Assert.Equal(oks[0], await after.Content.ReadAsStringAsync());
        Assert.Equal(1, await CountEventsAsync(account.AccountId, "integration.installed"));
    }

    [Fact]
    public async Task Keys_are_scoped_per_account()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        var fromA = await (await a.Client().SendAsync(Post(MondayInstall, Body, "shared-key"))).ShouldBe(HttpStatusCode.OK);
        var fromB = await (await b.Client().SendAsync(Post(MondayInstall, Body, "shared-key"))).ShouldBe(HttpStatusCode.OK);

        Assert.NotEqual(fromA["id"]!.GetValue<string>(), fromB["id"]!.GetValue<string>());
        Assert.Equal(1, await CountEventsAsync(a.AccountId, "integration.installed"));
        Assert.Equal(1, await CountEventsAsync(b.AccountId, "integration.installed"));
    }

    [Fact]
    public async Task Another_accounts_integration_is_404_under_a_key_and_the_404_is_replayed()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        var installed = await (await a.Client().SendAsync(Post(MondayInstall, Body, null))).ShouldBe(HttpStatusCode.OK);
        var uninstallA = $"/api/v1/integrations/{installed["id"]!.GetValue<string>()}/uninstall";

        await (await b.Client().SendAsync(Post(uninstallA, new { }, "b-try"))).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        var again = await b.Client().SendAsync(Post(uninstallA, new { }, "b-try"));
        await again.ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        Assert.True(again.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));

        var view = await MondayAsync(a.Client());
        Assert.Equal("installed", view["status"]!.GetValue<string>());
        Assert.Equal(0, await CountEventsAsync(a.AccountId, "integration.uninstalled"));
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_or_repeated_is_400_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.SendAsync(Post(MondayInstall, Body, new string('k', 256)))).ShouldBe(HttpStatusCode.BadRequest, "invalid_idempotency_key");
        var twice = Post(MondayInstall, Body, "one");
        twice.Headers.Add("Idempotency-Key", "two");
        await (await client.SendAsync(twice)).ShouldBe(HttpStatusCode.BadRequest, "invalid_idempotency_key");
        Assert.Equal(0, await CountEventsAsync(account.AccountId, "integration.installed"));

        await (await client.SendAsync(Post(MondayInstall, Body, new string('k', 255)))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Api_key_creation_refuses_an_idempotency_key_because_its_response_holds_a_secret()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var create = Post("/api/v1/api-keys", new { name = "ci", scopes = new[] { "read" } }, "create-key");
        await (await client.SendAsync(create)).ShouldBe(HttpStatusCode.BadRequest, "idempotency_key_not_supported");

        Assert.Equal(1, await app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == account.AccountId)));
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));
        (await client.PostAsync("/api/v1/api-keys", TestHttp.Json(new { name = "ci", scopes = new[] { "read" } }))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Validation_failures_are_stored_and_replayed_like_any_answer_below_500()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var bad = new { secrets = new { api_token = 42 } };
        await (await client.SendAsync(Post(MondayInstall, bad, "bad-body"))).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var replay = await client.SendAsync(Post(MondayInstall, bad, "bad-body"));
        await replay.ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(replay.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
    }

    [Fact]
    public async Task The_openapi_document_lists_the_header_on_writes_that_accept_it()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        bool Has(string path, string method) =>
            doc["paths"]![path]![method]!["parameters"]?.AsArray().Any(p => p!["name"]!.GetValue<string>() == "Idempotency-Key") == true;
        Assert.True(Has("/api/v1/integrations/{id}/install", "post"));
        Assert.True(Has("/api/v1/api-keys/{id}", "delete"));
        Assert.False(Has("/api/v1/api-keys", "post"));
        Assert.False(Has("/api/v1/integrations", "get"));
    }

    [Fact]
    public async Task Reads_ignore_the_header()
    {
        var account = await app.CreateAccountAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/integrations?limit=5");
        request.Headers.Add("Idempotency-Key", "read");
        await (await account.Client().SendAsync(request)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task The_sweep_deletes_only_expired_keys_and_one_node_holds_its_lease()
    {
        var account = await app.CreateAccountAsync();
        (await account.Client().SendAsync(Post(MondayInstall, Body, "sweep-me"))).EnsureSuccessStatusCode();
        var sweeper = app.Services.GetRequiredService<IdempotencySweeper>();

        Assert.True(await sweeper.SweepAsync(DateTime.UtcNow, CancellationToken.None) >= 0);
        Assert.Equal(1, await app.WithDbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));

        Assert.True(await sweeper.SweepAsync(DateTime.UtcNow.AddHours(25), CancellationToken.None) >= 1);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));

        var otherNode = await Switchboard.Jobs.JobLeases.TryAcquireAsync(
            app.Services.GetRequiredService<IStoreWriter>(), IdempotencySweeper.LeaseName, "another-node", TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(otherNode, "the lease is held by this node until it expires");
    }
}

/// <summary>No encryption key: installs with secrets answer 503, which must release the key.</summary>
public sealed class IdempotencyFailureTests(IdempotencyFailureTests.NoKeyApp app) : IClassFixture<IdempotencyFailureTests.NoKeyApp>
{
    public sealed class NoKeyApp : SwitchboardApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>();
    }

    [Fact]
    public async Task A_5xx_answer_releases_the_key()
    {
        var account = await app.CreateAccountAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/integrations/monday/install")
        {
            Content = TestHttp.Json(new { secrets = new { api_token = "tok" } }),
        };
        request.Headers.Add("Idempotency-Key", "retry-me");
        var response = await account.Client().SendAsync(request);
        await response.ShouldBe(HttpStatusCode.ServiceUnavailable, "encryption_unavailable");
        Assert.False(response.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.AccountId == account.AccountId)));
    }
}

/// <summary>Keys kept for one second only.</summary>
public sealed class IdempotencyRetentionTests(IdempotencyRetentionTests.ShortRetentionApp app) : IClassFixture<IdempotencyRetentionTests.ShortRetentionApp>
{
    public sealed class ShortRetentionApp : SwitchboardApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Switchboard:Idempotency:Retention"] = "00:00:01",
            ["Switchboard:Idempotency:InFlightTimeout"] = "00:00:01",
        };
    }

    [Fact]
    public async Task An_expired_key_runs_the_request_again()
    {
        var account = await app.CreateAccountAsync();
        HttpRequestMessage Install()
        {
            var r = new HttpRequestMessage(HttpMethod.Post, "/api/v1/integrations/monday/install") { Content = TestHttp.Json(new { secrets = new { api_token = "tok" } }) };
            r.Headers.Add("Idempotency-Key", "short-lived");
            return r;
        }
        (await account.Client().SendAsync(Install())).EnsureSuccessStatusCode();
        await Task.Delay(1200);
        var again = await account.Client().SendAsync(Install());
        again.EnsureSuccessStatusCode();
        Assert.False(again.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(2, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
    }

    [Fact]
    public async Task A_claim_left_in_flight_by_a_dead_node_is_taken_over_after_the_in_flight_timeout()
    {
        var account = await app.CreateAccountAsync();
        var body = "{\"secrets\":{\"api_token\":\"tok\"}}";
        var path = "/api/v1/integrations/monday/install";
        // What a node that crashed mid-request leaves behind (the only way to get one without killing a process).
        await app.WriteDbAsync(async db =>
        {
            db.Add(new IdempotencyRecord
            {
                AccountId = account.AccountId, Key = "orphan", MethodPath = "POST " + path,
                RequestHash = IdempotencyMiddleware.RequestHash("POST", path, System.Text.Encoding.UTF8.GetBytes(body), account.ApiKeyId),
                CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddHours(24),
            });
            return await db.SaveChangesAsync();
        });
        HttpRequestMessage Install()
        {
            var r = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            r.Headers.Add("Idempotency-Key", "orphan");
            return r;
        }
        await (await account.Client().SendAsync(Install())).ShouldBe(HttpStatusCode.Conflict, "idempotency_request_in_flight");
        await Task.Delay(1200);
        await (await account.Client().SendAsync(Install())).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
    }
}
