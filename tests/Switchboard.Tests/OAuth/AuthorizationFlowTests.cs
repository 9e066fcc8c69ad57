using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

[Collection("oauth")]
public sealed class AuthorizationFlowTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private async Task<List<AuditEvent>> AuditAsync(string accountId) =>
        await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == accountId).OrderBy(e => e.CreatedAt).ToListAsync());

    [Fact]
    public async Task Full_flow_ends_in_status_success_and_credentials_return_the_providers_token()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var before = await idp.CountsAsync();

        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "user@example.com", "https://app.example.com/done?x=1");
        Assert.StartsWith("http://127.0.0.1:5080/api/v1/oauth/start/", authUrl);
        var pending = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/user%40example.com")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("pending", pending["status"]!.GetValue<string>());
        Assert.False(pending["active"]!.GetValue<bool>());

        var providerUrl = await OAuthDriver.StartAsync(app, authUrl);
        var authorize = OAuthDriver.Query(new Uri(providerUrl));
        Assert.StartsWith(idp.Issuer + "/auth?", providerUrl);
        Assert.Equal("sb-client", authorize["client_id"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Equal(43, authorize["code_challenge"].Length);
        Assert.Equal(OAuthServer.CallbackUrl, authorize["redirect_uri"]);
        Assert.Equal("openid offline_access", authorize["scope"]);
        Assert.Equal("consent", authorize["prompt"]);
        Assert.True(authorize["state"].Length >= 40);

        var back = await OAuthDriver.WalkProviderAsync(providerUrl);
        Assert.Contains("iss=", back);
        var callback = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("https://app.example.com/done?x=1&status=success", callback.Headers.Location!.ToString());

        var user = await (await account.Client().GetAsync($"/api/v1/integrations/{cid}/users/user%40example.com")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Contains("offline_access", user["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(user["expiresAt"]!.GetValue<DateTime>() > DateTime.UtcNow.AddMinutes(50));

        var creds = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/user%40example.com/credentials")).ShouldBe(HttpStatusCode.OK);
        var accessToken = creds["accessToken"]!.GetValue<string>();
        Assert.True(accessToken.Length > 20);
        Assert.Equal("Bearer", creds["tokenType"]!.GetValue<string>());

        // The token works at the provider (userinfo) — it is the provider's real token.
        using var http = new HttpClient();
        using var userinfo = new HttpRequestMessage(HttpMethod.Get, idp.Issuer + "/me");
        userinfo.Headers.Authorization = new("Bearer", accessToken);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(userinfo)).StatusCode);

        var after = await idp.CountsAsync();
        Assert.Equal(1, after.Of("sb-client authorization_code") - before.Of("sb-client authorization_code"));
        Assert.Equal(0, after.Of("sb-client refresh_token") - before.Of("sb-client refresh_token"));

        // Stored encrypted; never logged.
        var row = await app.WithDbAsync(db => db.Set<OAuthConnection>().SingleAsync(c => c.AccountId == account.AccountId));
        Assert.NotNull(row.RefreshToken);
        Assert.DoesNotContain(accessToken, Encoding.UTF8.GetString(row.AccessToken!));
        Assert.DoesNotContain(accessToken, app.Logs.All);
        Assert.DoesNotContain(OAuthServer.Secret("sb-client"), app.Logs.All);

        var actions = (await AuditAsync(account.AccountId)).Select(e => e.Action).ToList();
        Assert.Contains("oauth.user.created", actions);
        Assert.Contains("oauth.user.connected", actions);
        Assert.Contains("credentials.read", actions);
        Assert.DoesNotContain(accessToken, string.Join("", (await AuditAsync(account.AccountId)).Select(e => e.DataJson)));
    }

    [Fact]
    public async Task Without_redirect_uri_a_plain_success_page_is_shown()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var response = await OAuthDriver.ConnectAsync(app, account, cid, "page-user", redirectUri: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Connected", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Denied_consent_ends_in_status_error_with_an_audit_entry_and_no_token_request()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var before = await idp.CountsAsync();
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "denier", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl, consent: false);
        var callback = await OAuthDriver.CallbackAsync(app, back);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var q = OAuthDriver.Query(callback.Headers.Location!);
        Assert.Equal("error", q["status"]);
        Assert.Equal("access_denied", q["error"]);
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/denier")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", user["status"]!.GetValue<string>());
        Assert.Contains(await AuditAsync(account.AccountId), e => e.Action == "oauth.callback.failed" && e.DataJson.Contains("access_denied"));
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_tampered_state_is_refused_and_never_reaches_the_token_endpoint()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "tampered", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl);
        var state = OAuthDriver.Query(new Uri(back))["state"];
        var before = await idp.CountsAsync();

        var tampered = back.Replace("state=" + state, "state=" + state[..^2] + (state[^1] == 'A' ? "BB" : "AA"));
        var response = await OAuthDriver.CallbackAsync(app, tampered);
        await response.ShouldBe(HttpStatusCode.BadRequest, "invalid_state");
        var missing = await OAuthDriver.CallbackAsync(app, "http://127.0.0.1:5080/api/v1/oauth/callback?code=abc");
        await missing.ShouldBe(HttpStatusCode.BadRequest, "invalid_state");

        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/tampered")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("pending", user["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reloaded_success_callback_shows_success_again_without_a_second_token_request()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "replayer", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl);
        var first = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("success", OAuthDriver.Query(first.Headers.Location!)["status"]);
        var before = await idp.CountsAsync();

        // The browser reloads the callback (or opens the start link again): the flow is shown as it ended.
        var replay = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("https://app.example.com/done?status=success", replay.Headers.Location!.ToString());
        var reopened = await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(authUrl));
        Assert.Equal("https://app.example.com/done?status=success", reopened.Headers.Location!.ToString());
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
        // The working connection is left alone; the replays are audited, not as failures.
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/replayer")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
        Assert.Null(user["lastError"]);
        var audit = await AuditAsync(account.AccountId);
        Assert.Equal(2, audit.Count(e => e.Action == "oauth.session.replayed" && e.DataJson.Contains("\"outcome\":\"success\"")));
        Assert.DoesNotContain(audit, e => e.Action == "oauth.callback.failed");
    }

    [Fact]
    public async Task Two_deliveries_of_one_callback_at_once_exchange_the_code_once_and_both_show_success()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, await OAuthDriver.AuthUrlAsync(account, cid, "double", "https://app.example.com/done"));
        var before = await idp.CountsAsync();
        var both = await Task.WhenAll(OAuthDriver.CallbackAsync(app, back), OAuthDriver.CallbackAsync(app, back));
        // The second waits for the first to finish instead of reporting a failure the user would see last.
        Assert.All(both, r => Assert.Equal("https://app.example.com/done?status=success", r.Headers.Location!.ToString()));
        Assert.Equal(1, (await idp.CountsAsync()).Of("sb-client authorization_code") - before.Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_reloaded_success_page_says_the_connection_is_already_complete()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "page-reloader");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl);
        var first = await HostedPages.GetPageAsync(app, back);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("The connection was authorised", await first.Content.ReadAsStringAsync());
        var before = await idp.CountsAsync();

        var reload = await HostedPages.GetPageAsync(app, back);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        var html = await reload.Content.ReadAsStringAsync();
        Assert.Contains("This connection is already complete", html);
        Assert.DoesNotContain("failed", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_reloaded_failure_shows_the_same_failure_and_changes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "denied-reloader", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl, consent: false);
        var first = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("access_denied", OAuthDriver.Query(first.Headers.Location!)["error"]);
        var reload = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("https://app.example.com/done?status=error&error=access_denied", reload.Headers.Location!.ToString());
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/denied-reloader")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("access_denied", user["lastError"]!.GetValue<string>());
        Assert.Single(await AuditAsync(account.AccountId), e => e.Action == "oauth.callback.failed");
    }

    [Fact]
    public async Task An_auth_url_opens_only_once()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "twice", "https://app.example.com/done");
        await OAuthDriver.StartAsync(app, authUrl);
        var again = await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(authUrl));
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal("https://app.example.com/done?status=error&error=session_used", again.Headers.Location!.ToString());
        var unknown = await OAuthDriver.Browser(app).GetAsync("/api/v1/oauth/start/not-a-real-handle");
        await unknown.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_mismatched_issuer_is_refused_before_the_token_endpoint()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "mixup", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl);
        var before = await idp.CountsAsync();
        var forged = back.Replace("iss=" + Uri.EscapeDataString(idp.Issuer), "iss=" + Uri.EscapeDataString("https://evil.example.com"));
        Assert.NotEqual(back, forged);
        var response = await OAuthDriver.CallbackAsync(app, forged);
        Assert.Equal("issuer_mismatch", OAuthDriver.Query(response.Headers.Location!)["error"]);
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_token_endpoint_error_ends_in_status_error()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "unlucky", "https://app.example.com/done");
        var back = await OAuthDriver.AuthorizeAtProviderAsync(app, authUrl);
        await idp.FailNextTokenRequestsAsync(503, 1);
        var response = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("provider_unavailable", OAuthDriver.Query(response.Headers.Location!)["error"]);
        Assert.Contains(await AuditAsync(account.AccountId), e => e.Action == "oauth.callback.failed" && e.DataJson.Contains("provider_unavailable"));
    }

    [Fact]
    public async Task Deleting_a_user_revokes_at_the_provider_then_deletes()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        await OAuthDriver.ConnectAsync(app, account, cid, "leaver");
        var token = (await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/leaver/credentials")).ReadJson())["accessToken"]!.GetValue<string>();
        var before = await idp.CountsAsync();

        var deleted = await account.Client().DeleteAsync($"/v1/integrations/{cid}/users/leaver");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True((await idp.CountsAsync()).Revocations - before.Revocations >= 1);
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/leaver")).ShouldBe(HttpStatusCode.NotFound, "user_not_found");
        using var http = new HttpClient();
        using var userinfo = new HttpRequestMessage(HttpMethod.Get, idp.Issuer + "/me");
        userinfo.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(userinfo)).StatusCode);
        Assert.Contains(await AuditAsync(account.AccountId), e => e.Action == "oauth.user.deleted");
    }

    [Fact]
    public async Task Users_are_listed_by_cursor()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        foreach (var u in new[] { "u-c", "u-a", "u-b" }) await OAuthDriver.AuthUrlAsync(account, cid, u);
        var page1 = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users?limit=2")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["u-a", "u-b"], page1["users"]!.AsArray().Select(u => u!["userId"]!.GetValue<string>()));
        var next = page1["nextCursor"]!.GetValue<string>();
        var page2 = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users?limit=2&cursor={next}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["u-c"], page2["users"]!.AsArray().Select(u => u!["userId"]!.GetValue<string>()));
        Assert.Null(page2["nextCursor"]);
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/users?limit=0")).ShouldBe(HttpStatusCode.BadRequest, "invalid_limit");
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/users?cursor=%21%21")).ShouldBe(HttpStatusCode.BadRequest, "invalid_cursor");
    }

    [Fact]
    public async Task Bad_input_is_answered_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        var other = await app.CreateAccountAsync("other");
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var c = account.Client();
        await (await c.PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri = "javascript:alert(1)" }))
            .ShouldBe(HttpStatusCode.BadRequest, "invalid_redirect_uri");
        await (await c.PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri = 42 })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        await (await c.PostAsync($"/v1/integrations/{cid}/users/u1/auth-url", Switchboard.Tests.Infrastructure.Api.Json("{bad"))).ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        await (await c.PostJson($"/v1/integrations/{cid}/users/{new string('x', 257)}/auth-url", new { })).ShouldBe(HttpStatusCode.BadRequest, "invalid_user_id");
        await (await c.PostJson($"/v1/integrations/{Guid.NewGuid()}/users/u1/auth-url", new { })).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await c.PostJson("/v1/integrations/not-a-uuid/users/u1/auth-url", new { })).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        // Another account's integration is a 404, for every route.
        await (await other.Client().PostJson($"/v1/integrations/{cid}/users/u1/auth-url", new { })).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await other.Client().GetAsync($"/v1/integrations/{cid}/users")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await other.Client().GetAsync($"/v1/integrations/{cid}/users/u1/credentials")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await c.GetAsync($"/v1/integrations/{cid}/users/nobody/credentials")).ShouldBe(HttpStatusCode.NotFound, "user_not_found");
        var users = await app.WithDbAsync(db => db.Set<OAuthConnection>().CountAsync(x => x.AccountId == account.AccountId || x.AccountId == other.AccountId));
        Assert.Equal(0, users);
    }

    [Fact]
    public async Task Credentials_of_an_integration_that_is_not_active_are_refused_with_409()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        await OAuthDriver.ConnectAsync(app, account, cid, "paused-user");
        await (await account.Client().PostAsync("/api/v1/integrations/local_idp/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/paused-user/credentials"))
            .ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        await (await account.Client().PostJson($"/v1/integrations/{cid}/users/paused-user/auth-url", new { }))
            .ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
    }

    [Fact]
    public async Task Credentials_need_the_credentials_read_scope()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var admin = account.Client();
        var key = await (await admin.PostJson("/api/v1/api-keys", new { name = "reader", scopes = new[] { "read" } })).ReadJson();
        var readOnly = app.ClientWithKey(key["key"]!.GetValue<string>());
        await (await readOnly.GetAsync($"/v1/integrations/{cid}/users/x/credentials")).ShouldBe(HttpStatusCode.Forbidden);
    }
}
