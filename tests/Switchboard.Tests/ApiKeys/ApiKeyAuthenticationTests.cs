using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Store;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.ApiKeys;

public sealed class ApiKeyAuthenticationTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Keys_look_like_sk_live_and_carry_their_account()
    {
        var account = await app.CreateAccountAsync();
        Assert.StartsWith("sk_live_", account.ApiKey);
        Assert.True(ApiKeyFormat.TryParse(account.ApiKey, out var accountId));
        Assert.Equal(account.AccountId, accountId);
        // 32 base62 characters of secret: ~190 random bits.
        Assert.Equal(32 + 6, account.ApiKey[(account.ApiKey.LastIndexOf('_') + 1)..].Length);
    }

    [Fact]
    public async Task Only_a_hash_of_the_key_is_stored()
    {
        var account = await app.CreateAccountAsync();
        var row = await app.WithDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == account.ApiKeyId));
        Assert.Equal(ApiKeyFormat.Hash(account.ApiKey), row.Hash);
        Assert.DoesNotContain(account.ApiKey[^20..], row.DisplayPrefix);
    }

    [Fact]
    public void Every_single_character_typo_fails_the_checksum()
    {
        var key = ApiKeyFormat.Generate("acc_abc123def456ghi789jk");
        Assert.True(ApiKeyFormat.TryParse(key, out _));
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var accepted = 0;
        for (var i = "sk_live_".Length; i < key.Length; i++)
        {
            if (key[i] == '_') continue;
            var replacement = alphabet[(alphabet.IndexOf(key[i]) + 7) % alphabet.Length];
            var typo = key[..i] + replacement + key[(i + 1)..];
            if (ApiKeyFormat.TryParse(typo, out _)) accepted++;
        }
        Assert.Equal(0, accepted);
    }

    [Fact]
    public async Task A_mistyped_key_is_401_invalid_api_key()
    {
        var account = await app.CreateAccountAsync();
        var typo = account.ApiKey[..^1] + (account.ApiKey[^1] == 'a' ? 'b' : 'a');
        await (await app.ClientWithKey(typo).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task A_well_formed_key_that_was_never_issued_is_401()
    {
        var forged = ApiKeyFormat.Generate("acc_zzzzzzzzzzzzzzzzzzzz");
        await (await app.ClientWithKey(forged).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task No_credentials_is_401_with_a_bearer_challenge()
    {
        var response = await app.CreateClient().GetAsync("/api/v1/integrations");
        await response.ShouldBe(HttpStatusCode.Unauthorized, "missing_credentials");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task The_x_api_key_header_is_accepted_too()
    {
        var account = await app.CreateAccountAsync();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", account.ApiKey);
        await (await client.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_read_only_key_can_list_but_not_install()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "reader", scopes = new[] { "read" } }))
            .ShouldBe(HttpStatusCode.Created);
        var reader = app.ClientWithKey(created["key"]!.GetValue<string>());
        await (await reader.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
        var denied = await (await reader.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Contains("integrations:write", denied["detail"]!.GetValue<string>());
        await (await reader.GetAsync("/api/v1/api-keys")).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task A_write_only_key_cannot_read()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "writer", scopes = new[] { "integrations:write" } }))
            .ShouldBe(HttpStatusCode.Created);
        var writer = app.ClientWithKey(created["key"]!.GetValue<string>());
        await (await writer.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        await (await writer.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "temp", scopes = new[] { "read" } }))
            .ShouldBe(HttpStatusCode.Created);
        var temp = app.ClientWithKey(created["key"]!.GetValue<string>());
        await (await temp.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK); // warms the cache

        var revoked = await (await account.Client().DeleteAsync($"/api/v1/api-keys/{created["api_key"]!["id"]}")).ShouldBe(HttpStatusCode.OK);
        Assert.NotNull(revoked["revoked_at"]);
        await (await temp.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "revoked_api_key");
    }

    [Fact]
    public async Task Key_listing_never_shows_key_values()
    {
        var account = await app.CreateAccountAsync();
        var text = await account.Client().GetStringAsync("/api/v1/api-keys");
        Assert.Contains(account.ApiKeyId, text);
        Assert.DoesNotContain(account.ApiKey, text);
        Assert.DoesNotContain(account.ApiKey[^12..], text);
    }

    [Fact]
    public async Task Another_accounts_key_cannot_be_revoked_and_is_404()
    {
        var owner = await app.CreateAccountAsync();
        var other = await app.CreateAccountAsync();
        await (await other.Client().DeleteAsync($"/api/v1/api-keys/{owner.ApiKeyId}")).ShouldBe(HttpStatusCode.NotFound, "api_key_not_found");
        await (await owner.Client().GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("{\"name\": \"x\", \"scopes\": [\"superuser\"]}")]
    [InlineData("{\"name\": \"x\", \"scopes\": []}")]
    [InlineData("{\"name\": 5, \"scopes\": [\"read\"]}")]
    [InlineData("{\"scopes\": [\"read\"]}")]
    public async Task Invalid_key_requests_are_400_and_create_nothing(string json)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostAsync("/api/v1/api-keys", Api.Json(json))).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(1, await app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Admin_token_needs_the_x_account_id_header()
    {
        var body = await (await app.AdminClient(null).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.BadRequest, "missing_account_header");
        Assert.Equal("Missing X-Account-ID header", body["title"]!.GetValue<string>());
        await (await app.AdminClient(null).GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.BadRequest, "missing_account_header");
        await (await app.AdminClient(null).GetAsync("/api/v1/native-tools")).ShouldBe(HttpStatusCode.BadRequest, "missing_account_header");
    }

    [Fact]
    public async Task Admin_token_acts_on_the_named_account()
    {
        var account = await app.CreateAccountAsync();
        await (await app.AdminClient(account.AccountId).PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        var mine = await (await account.Client().GetAsync("/api/v1/integrations/hacker_news")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", mine["status"]!.GetValue<string>());
        var e = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(x => x.AccountId == account.AccountId));
        Assert.Equal("admin", e.ActorType);
        await (await app.AdminClient("acc_doesnotexist").GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.NotFound, "account_not_found");
    }

    [Fact]
    public async Task Last_used_at_is_recorded_without_a_write_per_request()
    {
        var account = await app.CreateAccountAsync();
        for (var i = 0; i < 5; i++) await (await account.Client().GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.OK);
        await app.Services.GetRequiredService<ApiKeyUsage>().FlushAsync(app.Services.GetRequiredService<IStoreWriter>(), default);
        var row = await app.WithDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == account.ApiKeyId));
        Assert.NotNull(row.LastUsedAt);
        Assert.True(DateTime.UtcNow - row.LastUsedAt!.Value < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Garbage_authorization_headers_are_401_not_500()
    {
        foreach (var value in new[] { "sk_live_", "sk_live_____", "sk_live_" + new string('x', 5000), "Ünïcødé", "sk_live_a_b" })
        {
            var client = app.CreateClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + value);
            var response = await client.GetAsync("/api/v1/integrations");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        var basic = app.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        await (await basic.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "missing_credentials");
    }
}
