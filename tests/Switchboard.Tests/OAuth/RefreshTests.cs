using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

public static class RefreshTiming
{
    public static async Task<DateTime> ExpiresAtAsync(TestAccount account, string cid, string userId) =>
        (await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/{userId}")).ShouldBe(HttpStatusCode.OK))["expiresAt"]!.GetValue<DateTime>();

    /// <summary>Sleeps until the token is inside the 4 s refresh margin (but not yet expired).</summary>
    public static async Task WaitUntilDueAsync(DateTime expiresAt)
    {
        var due = expiresAt.ToUniversalTime() - TimeSpan.FromSeconds(4) + TimeSpan.FromMilliseconds(300);
        var wait = due - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
    }

}

/// <summary>Client sb-short issues 10 s access tokens; these hosts refresh on read within 4 s of expiry.</summary>
[Collection("oauth")]
public sealed class RefreshOnReadTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    [Fact]
    public async Task A_read_within_the_margin_refreshes_once_and_stores_the_rotated_refresh_token()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, "sb-short");
        await OAuthDriver.ConnectAsync(app, account, cid, "reader");
        var url = $"/v1/integrations/{cid}/users/reader/credentials";
        var first = (await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>();
        var refreshBefore = await app.WithDbAsync(db => db.Set<OAuthConnection>().Where(c => c.AccountId == account.AccountId).Select(c => c.RefreshToken).SingleAsync());
        var before = await idp.CountsAsync();

        // Outside the margin: the stored token is served, no token request.
        Assert.Equal(first, (await (await account.Client().GetAsync(url)).ReadJson())["accessToken"]!.GetValue<string>());
        Assert.Equal(before.Of("sb-short refresh_token"), (await idp.CountsAsync()).Of("sb-short refresh_token"));

        await RefreshTiming.WaitUntilDueAsync(await RefreshTiming.ExpiresAtAsync(account, cid, "reader"));
        var second = (await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        var afterFirst = await idp.CountsAsync();
        Assert.Equal(1, afterFirst.Of("sb-short refresh_token") - before.Of("sb-short refresh_token"));
        var refreshAfter = await app.WithDbAsync(db => db.Set<OAuthConnection>().Where(c => c.AccountId == account.AccountId).Select(c => c.RefreshToken).SingleAsync());
        Assert.NotEqual(Convert.ToBase64String(refreshBefore!), Convert.ToBase64String(refreshAfter!));

        // The rotated refresh token works for the next refresh (the provider rejects a reused one).
        await RefreshTiming.WaitUntilDueAsync(await RefreshTiming.ExpiresAtAsync(account, cid, "reader"));
        var third = (await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>();
        Assert.NotEqual(second, third);
        var end = await idp.CountsAsync();
        Assert.Equal(2, end.Of("sb-short refresh_token") - before.Of("sb-short refresh_token"));
        Assert.Equal(before.ErrorsOf("sb-short refresh_token"), end.ErrorsOf("sb-short refresh_token"));
        Assert.Contains(await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync()),
            a => a == "oauth.token.refreshed");
    }

    [Fact]
    public async Task A_transient_failure_backs_off_and_a_revoked_grant_marks_the_user_expired()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, "sb-short");
        await OAuthDriver.ConnectAsync(app, account, cid, "flaky");
        var url = $"/v1/integrations/{cid}/users/flaky/credentials";
        var token = (await (await account.Client().GetAsync(url)).ReadJson())["accessToken"]!.GetValue<string>();
        await RefreshTiming.WaitUntilDueAsync(await RefreshTiming.ExpiresAtAsync(account, cid, "flaky"));

        // The provider fails once: the still-valid token is served and the failure is recorded with a retry time.
        await idp.FailNextTokenRequestsAsync(503, 1);
        var during = await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(token, during["accessToken"]!.GetValue<string>());
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/flaky")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
        Assert.Equal("temporarily_unavailable", user["lastError"]!.GetValue<string>());
        var row = await app.WithDbAsync(db => db.Set<OAuthConnection>().SingleAsync(c => c.AccountId == account.AccountId));
        Assert.Equal(1, row.FailureCount);
        Assert.True(row.NextAttemptAt > DateTime.UtcNow);

        // Revoking the grant at the provider (deleting the user revokes it) makes a later refresh fail with invalid_grant.
        var refresh = await app.WithDbAsync(async db =>
        {
            var r = await db.Set<OAuthConnection>().SingleAsync(c => c.AccountId == account.AccountId);
            return app.Services.GetService(typeof(Switchboard.Sealing.SecretBox)) is Switchboard.Sealing.SecretBox box
                ? box.DecryptString(r.RefreshToken!, SealedFields.TokenAad(r.AccountId, r.Id, "refresh_token")) : "";
        });
        using (var http = new HttpClient())
        {
            var revoked = await http.PostAsync(idp.Issuer + "/token/revocation", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = refresh, ["token_type_hint"] = "refresh_token", ["client_id"] = "sb-short", ["client_secret"] = OAuthServer.Secret("sb-short"),
            }));
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }
        var retryAt = row.NextAttemptAt!.Value;
        var wait = retryAt - DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        // Past expiry now or not, the next read retries the refresh and the provider says invalid_grant.
        await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.Conflict, "connection_expired");
        var expired = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/flaky")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("expired", expired["status"]!.GetValue<string>());
        Assert.False(expired["active"]!.GetValue<bool>());
        await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.Conflict, "connection_not_active");
        var actions = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync());
        Assert.Contains("oauth.refresh.failed", actions);
        Assert.Contains("oauth.connection.expired", actions);
    }
}

[Collection("oauth")]
public sealed class ProactiveRefreshTests(OAuthServer idp, ProactiveApp app) : IClassFixture<ProactiveApp>
{
    [Fact]
    public async Task The_background_worker_refreshes_a_token_before_it_expires_without_any_read()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, "sb-short");
        var before = await idp.CountsAsync();
        await OAuthDriver.ConnectAsync(app, account, cid, "sleeper");
        var firstExpiry = await RefreshTiming.ExpiresAtAsync(account, cid, "sleeper");

        var deadline = DateTime.UtcNow.AddSeconds(8);
        DateTime expiry;
        do
        {
            await Task.Delay(300);
            expiry = await RefreshTiming.ExpiresAtAsync(account, cid, "sleeper");
        } while (expiry == firstExpiry && DateTime.UtcNow < deadline);
        Assert.True(expiry > firstExpiry, "the worker did not refresh the token");
        Assert.True(DateTime.UtcNow < firstExpiry.ToUniversalTime(), "refreshed only after expiry");
        var after = await idp.CountsAsync();
        Assert.True(after.Of("sb-short refresh_token") - before.Of("sb-short refresh_token") >= 1);
        Assert.Equal(before.ErrorsOf("sb-short"), after.ErrorsOf("sb-short"));
        var refreshed = await app.WithDbAsync(db => db.AuditEvents
            .Where(e => e.AccountId == account.AccountId && e.Action == "oauth.token.refreshed").Select(e => new { e.ActorType, e.DataJson }).ToListAsync());
        Assert.Contains(refreshed, e => e.ActorType == "system" && e.DataJson.Contains("\"trigger\":\"worker\""));
    }
}

[Collection("oauth")]
public sealed class RefreshDrainTests(OAuthServer idp, SmallBatchWorkerApp app) : IClassFixture<SmallBatchWorkerApp>
{
    [Fact]
    public async Task One_worker_run_refreshes_every_due_token_even_beyond_one_batch()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, "sb-short");
        string[] users = ["d1", "d2", "d3", "d4", "d5"];
        var expiries = new Dictionary<string, DateTime>();
        foreach (var user in users)
        {
            await OAuthDriver.ConnectAsync(app, account, cid, user);
            expiries[user] = await RefreshTiming.ExpiresAtAsync(account, cid, user);
        }
        var before = await idp.CountsAsync();

        var due = await app.Services.GetRequiredService<Switchboard.Credentials.RefreshWorker>().RefreshDueAsync(CancellationToken.None);

        Assert.True(due >= users.Length, $"{due} refreshed in one run");
        foreach (var user in users)
            Assert.True(await RefreshTiming.ExpiresAtAsync(account, cid, user) > expiries[user], $"{user} was not refreshed");
        var after = await idp.CountsAsync();
        Assert.Equal(users.Length, after.Of("sb-short refresh_token") - before.Of("sb-short refresh_token"));
        Assert.Equal(before.ErrorsOf("sb-short"), after.ErrorsOf("sb-short"));
    }
}

[Collection("oauth")]
public sealed class ExpiredSessionTests(OAuthServer idp, ShortSessionApp app) : IClassFixture<ShortSessionApp>
{
    [Fact]
    public async Task An_auth_url_older_than_its_lifetime_ends_in_status_error()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var late = await OAuthDriver.AuthUrlAsync(account, cid, "slow", "https://app.example.com/done");
        await Task.Delay(1200);
        var response = await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(late));
        Assert.Equal("https://app.example.com/done?status=error&error=session_expired", response.Headers.Location!.ToString());

        // Started in time, but the consent took longer than the session lives: refused at the callback, no token request.
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "slow2", "https://app.example.com/done");
        var providerUrl = await OAuthDriver.StartAsync(app, authUrl);
        var back = await OAuthDriver.WalkProviderAsync(providerUrl);
        await Task.Delay(1200);
        var before = await idp.CountsAsync();
        var callback = await OAuthDriver.CallbackAsync(app, back);
        Assert.Equal("session_expired", OAuthDriver.Query(callback.Headers.Location!)["error"]);
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
        Assert.Contains(await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId && e.Action == "oauth.callback.failed")
            .Select(e => e.DataJson).ToListAsync()), d => d.Contains("session_expired"));
    }
}
