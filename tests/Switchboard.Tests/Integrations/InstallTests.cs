using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

public sealed class InstallTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private const string StripeKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
    private const string WebhookSecret = "whsec_abcdefghijklmnop1234";

    private static object StripeBody(string key = StripeKey) => new
    {
        @params = new { api_version = "2024-09-30" },
        secrets = new { api_key = key, webhook_secret = WebhookSecret },
    };

    [Fact]
    public async Task Install_stores_params_and_names_secrets_without_returning_them()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostJson("/api/v1/integrations/stripe/install", StripeBody());
        var text = await response.Content.ReadAsStringAsync();
        var body = await response.ShouldBe(HttpStatusCode.OK);

        Assert.Equal("installed", body["status"]!.GetValue<string>());
        Assert.NotNull(body["installed_at"]);
        Assert.Equal("2024-09-30", body["params"]!["api_version"]!.GetValue<string>());
        var secrets = body["secrets"]!.AsArray();
        Assert.Equal(["api_key", "webhook_secret"], secrets.Select(s => s!["name"]!.GetValue<string>()));
        Assert.All(secrets, s => Assert.Matches("^fp_[0-9a-f]{12}$", s!["fingerprint"]!.GetValue<string>()));
        Assert.DoesNotContain(StripeKey, text);
        Assert.DoesNotContain("4eC39HqLyjWDarjtT1zdp7dc", text);
        Assert.DoesNotContain(WebhookSecret, text);

        var get = await account.Client().GetStringAsync("/api/v1/integrations/stripe");
        var list = await account.Client().GetStringAsync("/api/v1/integrations?limit=200");
        Assert.DoesNotContain(StripeKey, get + list);
        Assert.DoesNotContain(StripeKey, app.Logs.All);
        Assert.DoesNotContain(WebhookSecret, app.Logs.All);
    }

    [Fact]
    public async Task Stored_ciphertext_is_not_the_plaintext_and_differs_each_time()
    {
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await (await a.Client().PostJson("/api/v1/integrations/stripe/install", StripeBody())).ShouldBe(HttpStatusCode.OK);
        await (await b.Client().PostJson("/api/v1/integrations/stripe/install", StripeBody())).ShouldBe(HttpStatusCode.OK);

        var rows = await app.WithDbAsync(db => db.IntegrationSecrets.AsNoTracking()
            .Where(s => (s.AccountId == a.AccountId || s.AccountId == b.AccountId) && s.Name == "api_key").ToListAsync());
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal("k2", row.KeyId);
            Assert.Equal(-1, row.Ciphertext.AsSpan().IndexOf(Encoding.UTF8.GetBytes(StripeKey)));
            Assert.DoesNotContain("4eC39HqLyjWDarjtT1zdp7dc", Convert.ToBase64String(row.Ciphertext));
        }
        Assert.NotEqual(Convert.ToHexString(rows[0].Ciphertext), Convert.ToHexString(rows[1].Ciphertext));
    }

    [Fact]
    public async Task Missing_and_invalid_fields_are_each_listed_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostJson("/api/v1/integrations/stripe/install", new
        {
            @params = new { api_version = "yesterday", colour = "blue" },
            secrets = new { webhook_secret = 42 },
        });
        var body = await response.ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var errors = body["errors"]!.AsArray().Select(e => (e!["field"]!.GetValue<string>(), e["code"]!.GetValue<string>())).ToList();
        Assert.Contains(("params.api_version", "pattern_mismatch"), errors);
        Assert.Contains(("params.colour", "unknown_field"), errors);
        Assert.Contains(("secrets.webhook_secret", "wrong_type"), errors);

        var missing = await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new { secrets = new { } }))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains(missing["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == "secrets.api_key" && e["code"]!.GetValue<string>() == "required");

        await AssertNothingWritten(account);
    }

    [Fact]
    public async Task A_secret_that_fails_its_pattern_is_refused_without_echoing_it()
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = "pk_live_notasecretkey123" } });
        var text = await response.Content.ReadAsStringAsync();
        await response.ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.DoesNotContain("pk_live_notasecretkey123", text);
    }

    [Fact]
    public async Task A_trailing_newline_does_not_slip_past_a_pattern()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = StripeKey + "\n" } }))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Theory]
    [InlineData("{\"params\": {", "malformed_json")]
    [InlineData("{\"params\": {'a': 1}}", "malformed_json")]
    [InlineData("[1, 2, 3]", "validation_failed")]
    [InlineData("\"just a string\"", "validation_failed")]
    [InlineData("{\"params\": [\"x\"]}", "validation_failed")]
    [InlineData("{\"secrets\": \"sk_test_x\"}", "validation_failed")]
    public async Task Malformed_or_wrongly_typed_bodies_are_400_and_write_nothing(string json, string code)
    {
        var account = await app.CreateAccountAsync();
        var response = await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", Api.Json(json));
        await response.ShouldBe(HttpStatusCode.BadRequest, code);
        await AssertNothingWritten(account);
    }

    [Fact]
    public async Task Malformed_json_problem_says_where()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", Api.Json("{\n  \"params\": {,\n}")))
            .ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(2, body["line"]!.GetValue<int>());
    }

    [Fact]
    public async Task Oversize_body_is_413_and_writes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var huge = "{\"params\": {\"x\": \"" + new string('a', 2 * 1024 * 1024) + "\"}}";
        await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", Api.Json(huge)))
            .ShouldBe(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await AssertNothingWritten(account);
    }

    [Fact]
    public async Task Non_json_content_type_is_415()
    {
        var account = await app.CreateAccountAsync();
        var content = new StringContent("params=1", Encoding.UTF8, "application/x-www-form-urlencoded");
        await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", content))
            .ShouldBe(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task Empty_body_installs_a_provider_without_required_fields()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostAsync("/api/v1/integrations/open_meteo/install", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", body["status"]!.GetValue<string>());
        Assert.Empty(body["params"]!.AsObject());
    }

    [Fact]
    public async Task Server_set_fields_in_the_body_are_ignored()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostJson("/api/v1/integrations/hacker_news/install", new
        {
            id = "11111111-1111-1111-1111-111111111111",
            status = "available",
            created_at = "1999-01-01T00:00:00Z",
            installed_at = "1999-01-01T00:00:00Z",
        })).ShouldBe(HttpStatusCode.OK);
        Assert.NotEqual("11111111-1111-1111-1111-111111111111", body["id"]!.GetValue<string>());
        Assert.Equal("installed", body["status"]!.GetValue<string>());
        Assert.True(body["created_at"]!.GetValue<DateTime>() > new DateTime(2020, 1, 1));
    }

    [Fact]
    public async Task Reinstall_replaces_the_groups_sent_and_keeps_the_groups_left_out()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var first = await (await client.PostJson("/api/v1/integrations/stripe/install", StripeBody())).ShouldBe(HttpStatusCode.OK);
        var firstFingerprint = first["secrets"]![0]!["fingerprint"]!.GetValue<string>();

        // params sent: replaced; secrets left out: kept.
        var second = await (await client.PostJson("/api/v1/integrations/stripe/install", new { @params = new { } })).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(second["params"]!.AsObject());
        Assert.Equal(2, second["secrets"]!.AsArray().Count);

        // secrets sent: replaced as a whole (webhook_secret goes away, api_key changes).
        var third = await (await client.PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = "sk_live_ZZZZZZZZZZZZZZZZ" } }))
            .ShouldBe(HttpStatusCode.OK);
        var secrets = third["secrets"]!.AsArray();
        Assert.Single(secrets);
        Assert.NotEqual(firstFingerprint, secrets[0]!["fingerprint"]!.GetValue<string>());
        Assert.Equal(1, await app.WithDbAsync(db => db.IntegrationSecrets.CountAsync(s => s.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Uninstall_flips_to_available_clears_installed_at_and_keeps_credentials()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostJson("/api/v1/integrations/stripe/install", StripeBody())).ShouldBe(HttpStatusCode.OK);

        var body = await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("available", body["status"]!.GetValue<string>());
        Assert.Null(body["installed_at"]);
        Assert.Equal("2024-09-30", body["params"]!["api_version"]!.GetValue<string>());
        Assert.Equal(2, body["secrets"]!.AsArray().Count);
        Assert.Equal(2, await app.WithDbAsync(db => db.IntegrationSecrets.CountAsync(s => s.AccountId == account.AccountId)));

        // Re-installing with an empty body uses the kept credentials.
        var again = await (await client.PostAsync("/api/v1/integrations/stripe/install", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", again["status"]!.GetValue<string>());
        Assert.Equal(2, again["secrets"]!.AsArray().Count);
    }

    [Fact]
    public async Task Uninstall_of_an_integration_never_installed_answers_available()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("available", body["status"]!.GetValue<string>());
        await AssertNothingWritten(account);
    }

    [Fact]
    public async Task Install_and_uninstall_are_audited_with_the_acting_key_and_no_secret()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", StripeBody())).ShouldBe(HttpStatusCode.OK);
        await (await account.Client().PostAsync("/api/v1/integrations/stripe/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        var events = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.AccountId == account.AccountId).OrderBy(e => e.CreatedAt).ToListAsync());
        Assert.Equal(["integration.installed", "integration.uninstalled"], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(account.ApiKeyId, e.ActorId));
        Assert.All(events, e => Assert.DoesNotContain(StripeKey, e.DataJson));
        Assert.Contains("api_key", events[0].DataJson);
    }

    [Fact]
    public async Task Concurrent_reinstalls_of_one_integration_never_fail_with_a_server_error()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            client.PostJson("/api/v1/integrations/stripe/install", StripeBody($"sk_test_concurrent{i:0000000000}"))));
        var codes = responses.Select(r => (int)r.StatusCode).ToList();
        // SQLite's writers queue in-process, so every one succeeds; PostgreSQL may refuse a loser with 409 after retries.
        if (TestDatabase.IsPostgres) Assert.All(codes, c => Assert.Contains(c, new[] { 200, 409 }));
        else Assert.All(codes, c => Assert.Equal(200, c));
        Assert.Contains(200, codes);
        Assert.Equal(2, await app.WithDbAsync(db => db.IntegrationSecrets.CountAsync(s => s.AccountId == account.AccountId)));
        Assert.Equal(codes.Count(c => c == 200),
            await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
    }

    private Task AssertNothingWritten(TestAccount account) => app.WithDbAsync(async db =>
    {
        Assert.Equal(0, await db.Integrations.CountAsync(i => i.AccountId == account.AccountId));
        Assert.Equal(0, await db.IntegrationSecrets.CountAsync(s => s.AccountId == account.AccountId));
        Assert.Equal(0, await db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId));
        return true;
    });
}
