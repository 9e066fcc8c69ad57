using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;
using static Switchboard.Tests.Connect.ConnectSessions;

namespace Switchboard.Tests.Connect;

/// <summary>POST /api/v1/connect/sessions and the connect page over HTTP (the browser tests drive the same page in Chromium).</summary>
public sealed class ConnectSessionApiTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private Task<int> Sessions(TestAccount account) =>
        app.WithDbAsync(db => db.Set<ConnectSession>().CountAsync(s => s.AccountId == account.AccountId));

    [Fact]
    public async Task A_session_is_created_with_a_token_whose_hash_only_is_stored()
    {
        var account = await app.CreateAccountAsync();
        var before = DateTime.UtcNow;
        var (token, url, expiresAt) = await CreateAsync(account, new { end_user = new { id = "u_123", email = "ada@example.com", display_name = "Ada" } });
        Assert.StartsWith("cst_", token);
        Assert.Equal(47, token.Length);
        Assert.Equal("http://127.0.0.1:5080/connect/s/" + token, url);
        Assert.InRange(expiresAt, before.AddMinutes(29.9), DateTime.UtcNow.AddMinutes(30.1));

        var stored = await app.WithDbAsync(db => db.Set<ConnectSession>().AsNoTracking().SingleAsync(s => s.AccountId == account.AccountId));
        Assert.Equal("u_123", stored.EndUserId);
        Assert.Equal(account.ProjectId, stored.ProjectId);
        Assert.NotEqual(token, stored.TokenHash);
        Assert.Equal(64, stored.TokenHash.Length);
        Assert.DoesNotContain(token, app.Logs.All);

        var (_, _, bounded) = await CreateAsync(account, new { end_user = new { id = "u_124" }, expires_in = 60 });
        Assert.InRange(bounded, DateTime.UtcNow.AddSeconds(50), DateTime.UtcNow.AddSeconds(61));
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { """{}""", "validation_failed", "end_user" },
        { """{"end_user": {"id": ""}}""", "validation_failed", "end_user.id" },
        { """{"end_user": {"id": "u\u0001"}}""", "validation_failed", "end_user.id" },
        { """{"end_user": "u_1"}""", "validation_failed", "end_user" },
        { """{"end_user": {"id": "u_1", "emial": "x@example.com"}}""", "validation_failed", "end_user.emial" },
        { """{"end_user": {"id": "u_1"}, "redirect": "https://app.example.com"}""", "validation_failed", "redirect" },
        { """{"end_user": {"id": "u_1"}, "expires_in": 59}""", "validation_failed", "expires_in" },
        { """{"end_user": {"id": "u_1"}, "expires_in": 14401}""", "validation_failed", "expires_in" },
        { """{"end_user": {"id": "u_1"}, "expires_in": "1800"}""", "validation_failed", "expires_in" },
        { """{"end_user": {"id": "u_1"}, "integrations": ["no_such_provider"]}""", "validation_failed", "integrations[0]" },
        { """{"end_user": {"id": "u_1"}, "integrations": ["aws"]}""", "validation_failed", "integrations[0]" },
        { """{"end_user": {"id": "u_1"}, "integrations": "stripe"}""", "validation_failed", "integrations" },
        { """{"end_user": {"id": "u_1"}, "allowed_origins": ["https://app.example.com/done"]}""", "validation_failed", "allowed_origins[0]" },
        { """{"end_user": {"id": "u_1"}, "allowed_origins": ["http://app.example.com"]}""", "validation_failed", "allowed_origins[0]" },
        { """{"end_user": {"id": "u_1"}, "redirect_uri": "http://evil.example"}""", "invalid_redirect_uri", "" },
        { """{"end_user": {"id": "u_1"}, "redirect_uri": "https:\\\\evil.example"}""", "invalid_redirect_uri", "" },
        { """{"end_user": {"id": "u_1"}, "redirect_uri": "\thttps://evil.example"}""", "invalid_redirect_uri", "" },
        { """{"end_user": {"id": "u_1"}, "redirect_uri": "https://user@evil.example"}""", "invalid_redirect_uri", "" },
        { """{"end_user": {"id": "u_1"}, "redirect_uri": "https://elsewhere.example/done", "allowed_origins": ["https://app.example.com"]}""", "redirect_uri_not_allowed", "" },
        { """{"end_user": {"id": "u_1"},""", "malformed_json", "" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_bodies_are_refused_by_field_and_write_nothing(string body, string code, string field)
    {
        var account = await app.CreateAccountAsync();
        var problem = await (await account.Client().PostAsync("/api/v1/connect/sessions", Api.Json(body))).ShouldBe(HttpStatusCode.BadRequest, code);
        if (field.Length > 0) Assert.Contains(problem["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == field);
        Assert.Equal(0, await Sessions(account));
    }

    [Fact]
    public async Task An_integrations_allowed_redirect_origins_bound_the_sessions_redirect_and_origins()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new Dictionary<string, object>
        {
            ["secrets"] = new { api_key = OperatorStripeKey },
            ["allowed_redirect_origins"] = new[] { "https://app.example.com" },
        })).ShouldBe(HttpStatusCode.OK);
        await (await account.Client().PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" }, redirect_uri = "https://evil.example/done" }))
            .ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        await (await account.Client().PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" }, allowed_origins = new[] { "https://evil.example" } }))
            .ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
        Assert.Equal(0, await Sessions(account));
        await CreateAsync(account, new { end_user = new { id = "u_1" }, redirect_uri = "https://app.example.com/done", allowed_origins = new[] { "https://app.example.com" } });
    }

    [Fact]
    public async Task The_route_needs_integrations_write()
    {
        var account = await app.CreateAccountAsync();
        var (readKey, _) = await app.AdminClient(account.AccountId).CreateKeyAsync(null, "read");
        await (await app.ClientWithKey(readKey).PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" } }))
            .ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await app.CreateClient().PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" } }))
            .ShouldBe(HttpStatusCode.Unauthorized);
        Assert.Equal(0, await Sessions(account));
    }

    [Fact]
    public async Task Another_accounts_providers_and_integrations_are_invisible()
    {
        var a = await app.CreateAccountAsync("a");
        var b = await app.CreateAccountAsync("b");
        await InstallStripeAsync(b);
        await (await b.Client().PostJson("/api/v1/providers", Switchboard.Tests.OAuth.OAuthDriver.LocalProviderAt("https://idp.example.com", "b_only_idp")))
            .ShouldBe(HttpStatusCode.Created);
        var problem = await (await a.Client().PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" }, integrations = new[] { "b_only_idp" } }))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("unknown_provider", problem["errors"]![0]!["code"]!.GetValue<string>());

        // Installed in B (or in another project) is not installed here: a 404, as on every route.
        await (await a.Client().PostJson("/api/v1/connect/sessions", new { end_user = new { id = "u_1" }, integrations = new[] { "stripe" } }))
            .ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        Assert.Equal(0, await Sessions(a));

        // A's page lists A's installs only: B's stripe is not offered, and its form is a 404.
        var (token, url, _) = await CreateAsync(a, new { end_user = new { id = "u_1" } });
        var browser = app.CreateClient();
        var list = await (await browser.GetAsync(new Uri(url).AbsolutePath)).Content.ReadAsStringAsync();
        Assert.Contains("There is nothing to connect yet", list);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/connect/s/{token}/stripe")).StatusCode);
        // A forged or unknown token is a 404 page.
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/connect/s/cst_" + new string('x', 43))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/connect/s/not-a-token")).StatusCode);
    }

    [Fact]
    public async Task An_end_user_stores_their_own_key_once_and_the_session_is_then_used_up()
    {
        var account = await app.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, url, _) = await CreateAsync(account, new { end_user = new { id = "u_123" }, integrations = new[] { "stripe" }, allowed_origins = new[] { "https://app.example.com" } });
        var browser = app.CreateClient();
        var list = await browser.GetAsync(new Uri(url).AbsolutePath);
        var listHtml = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("<h2>Stripe</h2>", listHtml);
        Assert.DoesNotContain(account.ProjectId, listHtml);
        var csp = list.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors https://app.example.com;", csp);
        Assert.False(list.Headers.Contains("X-Frame-Options"));

        var formPath = $"/connect/s/{token}/stripe";
        var form = await (await browser.GetAsync(formPath)).Content.ReadAsStringAsync();
        Assert.Contains("<label for=\"f-secrets-api_key\">API key <span class=\"req\">(required)</span></label>", form);
        Assert.DoesNotContain("regular expression", form);
        Assert.DoesNotContain("^(sk|rk)", WebUtility.HtmlDecode(form));
        Assert.Contains("It starts with “whsec_”.", WebUtility.HtmlDecode(form));

        // Errors name the field by its label, in words; nothing is stored, and the session still works.
        var wrong = await SubmitAsync(browser, formPath, Nonce(form), ("secrets.api_key", "not-a-stripe-key"), ("params.api_version", "June"));
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("API key is not in the expected format.", wrongHtml);
        Assert.Contains("API version is not in the expected format.", wrongHtml);
        Assert.DoesNotContain("api_key does not", wrongHtml);
        Assert.DoesNotContain("must match", wrongHtml);
        Assert.DoesNotContain("not-a-stripe-key", wrongHtml);
        var empty = await (await SubmitAsync(browser, formPath, Nonce(form))).Content.ReadAsStringAsync();
        Assert.Contains("Enter your API key.", empty);

        var done = await SubmitAsync(browser, formPath, Nonce(form), ("secrets.api_key", StripeKey));
        var doneHtml = await done.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("Stripe is connected", doneHtml);
        Assert.DoesNotContain(StripeKey, doneHtml);
        var message = JsonNode.Parse(Message(doneHtml)!)!;
        Assert.Equal("switchboard.connect", message["type"]!.GetValue<string>());
        Assert.Equal("success", message["status"]!.GetValue<string>());
        Assert.Equal("stripe", message["integration"]!.GetValue<string>());
        Assert.Equal("u_123", message["end_user_id"]!.GetValue<string>());
        Assert.Contains("script-src 'sha256-", done.Headers.GetValues("Content-Security-Policy").Single());

        // Stored for THAT end user, sealed; the operator's own key is untouched.
        var integration = await (await account.Client().GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        var user = await (await account.Client().GetAsync($"/api/v1/integrations/{integration["id"]}/users/u_123")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
        var row = await app.WithDbAsync(db => db.Set<OAuthConnection>().AsNoTracking().SingleAsync(c => c.AccountId == account.AccountId && c.UserId == "u_123"));
        Assert.NotNull(row.Credential);
        Assert.DoesNotContain(StripeKey, System.Text.Encoding.UTF8.GetString(row.Credential!));
        Assert.Contains(await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync()),
            a => a == "connect.user.connected");

        // One connection.created event, in the outbox with the change; it names the end user and holds no secret.
        var events = await app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking().Where(e => e.AccountId == account.AccountId && e.Type == "connection.created")
            .Select(e => e.PayloadJson).ToListAsync());
        var payload = JsonNode.Parse(Assert.Single(events))!;
        Assert.Equal("u_123", payload["data"]!["end_user_id"]!.GetValue<string>());
        Assert.Equal("stripe", payload["data"]!["provider"]!.GetValue<string>());
        Assert.DoesNotContain(StripeKey, events[0]);

        // Single use: the page, the form and a second post are refused, and nothing changes.
        var again = await SubmitAsync(browser, formPath, Nonce(form), ("secrets.api_key", "sk_test_SecondAttempt0123456789"));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("\"session_used\"", Message(await again.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(new Uri(url).AbsolutePath)).StatusCode);
        var unchanged = await app.WithDbAsync(db => db.Set<OAuthConnection>().AsNoTracking().SingleAsync(c => c.AccountId == account.AccountId && c.UserId == "u_123"));
        Assert.Equal(row.Credential, unchanged.Credential);

        // A new session for the same end user replaces the credential; the connection was already usable, so no second event.
        var (token2, _, _) = await CreateAsync(account, new { end_user = new { id = "u_123" } });
        var nonce2 = Nonce(await (await browser.GetAsync($"/connect/s/{token2}/stripe")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(browser, $"/connect/s/{token2}/stripe", nonce2, ("secrets.api_key", "sk_test_Replacement0123456789"))).StatusCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.Set<OutboxEvent>().CountAsync(e => e.AccountId == account.AccountId && e.Type == "connection.created")));
    }

    [Fact]
    public async Task A_form_post_without_the_pages_nonce_or_from_another_site_is_refused()
    {
        var account = await app.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_9" } });
        var browser = app.CreateClient();
        var path = $"/connect/s/{token}/stripe";
        Assert.Equal(HttpStatusCode.Forbidden, (await SubmitAsync(browser, path, "wrong-nonce", ("secrets.api_key", StripeKey))).StatusCode);
        var nonce = Nonce(await (await browser.GetAsync(path)).Content.ReadAsStringAsync());
        var cross = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent([new("secrets.api_key", StripeKey), new("_nonce", nonce)]),
        };
        cross.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(cross)).StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<OAuthConnection>().CountAsync(c => c.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task An_expired_session_tells_the_application_and_stores_nothing()
    {
        var account = await app.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, url, _) = await CreateAsync(account, new { end_user = new { id = "u_7" }, redirect_uri = "https://app.example.com/done" });
        var browser = app.CreateClient();
        var nonce = Nonce(await (await browser.GetAsync($"/connect/s/{token}/stripe")).Content.ReadAsStringAsync());
        await app.WriteDbAsync(db => db.Set<ConnectSession>().Where(s => s.AccountId == account.AccountId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddSeconds(-1))));

        var page = await browser.GetAsync(new Uri(url).AbsolutePath);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("This connect link has expired.", html);
        Assert.Contains("\"error\":\"session_expired\"", Message(html));
        Assert.Contains("https://app.example.com/done?status=error&amp;error=session_expired", html);
        Assert.Equal(HttpStatusCode.Gone, (await SubmitAsync(browser, $"/connect/s/{token}/stripe", nonce, ("secrets.api_key", StripeKey))).StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<OAuthConnection>().CountAsync(c => c.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Connect_js_is_served_as_a_plain_script()
    {
        var response = await app.CreateClient().GetAsync("/connect.js");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("SwitchboardConnect", text);
        Assert.DoesNotContain("import ", text);
        Assert.DoesNotContain("require(", text);
    }
}
