using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// Two Switchboard hosts (own DI container, connection pool and caches each) over ONE database — the configured
/// SQLite file or PostgreSQL database — and the real provider, which rejects a reused (rotated) refresh token.
/// </summary>
[Collection("oauth")]
public sealed class RefreshRaceTests(OAuthServer idp, TwoHosts hosts) : IClassFixture<TwoHosts>
{
    private const int ReadsPerHost = 50;

    [Fact]
    public async Task Fifty_concurrent_reads_on_each_of_two_hosts_at_expiry_refresh_exactly_once_per_expiry()
    {
        var account = await hosts.A.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, "sb-short");
        await OAuthDriver.ConnectAsync(hosts.A, account, cid, "racer");
        var onB = hosts.B.ClientWithKey(account.ApiKey);
        var onA = account.Client();
        var url = $"/v1/integrations/{cid}/users/racer/credentials";
        var previous = (await (await onB.GetAsync(url)).ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>();
        var start = await idp.CountsAsync();

        for (var round = 1; round <= 2; round++)
        {
            await RefreshTiming.WaitUntilDueAsync(await RefreshTiming.ExpiresAtAsync(account, cid, "racer"));
            var before = await idp.CountsAsync();
            using var gate = new SemaphoreSlim(0);
            var reads = Enumerable.Range(0, ReadsPerHost * 2).Select(async i =>
            {
                await gate.WaitAsync();
                return await (i % 2 == 0 ? onA : onB).GetAsync(url);
            }).ToList();
            gate.Release(reads.Count);
            var responses = await Task.WhenAll(reads);

            var tokens = new List<string>();
            foreach (var r in responses) tokens.Add((await r.ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>());
            var after = await idp.CountsAsync();
            Assert.Equal(1, after.Of("sb-short refresh_token") - before.Of("sb-short refresh_token"));
            Assert.Equal(before.AllErrors, after.AllErrors);
            // Every caller, winner or loser, on either host, got the one new token.
            Assert.Single(tokens.Distinct());
            Assert.NotEqual(previous, tokens[0]);
            previous = tokens[0];
        }

        var end = await idp.CountsAsync();
        Assert.Equal(2, end.Of("sb-short refresh_token") - start.Of("sb-short refresh_token"));
        Assert.Equal(0, end.ErrorsOf("sb-short refresh_token invalid_grant") - start.ErrorsOf("sb-short refresh_token invalid_grant"));
        var row = await hosts.A.WithDbAsync(db => db.Set<OAuthConnection>().AsNoTracking().SingleAsync(c => c.AccountId == account.AccountId));
        Assert.Equal("active", row.Status);
        Assert.Null(row.LeaseOwner);
        var refreshes = await hosts.A.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "oauth.token.refreshed"));
        Assert.Equal(2, refreshes);
    }
}
