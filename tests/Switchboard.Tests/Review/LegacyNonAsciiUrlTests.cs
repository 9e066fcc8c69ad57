using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Review;

/// <summary>
/// Rows stored before declared URLs had to be ASCII may still hold a Unicode host, which no Location header can carry:
/// the start leg ends the flow as invalid_provider_url instead of answering 500.
/// </summary>
[Collection("oauth")]
public sealed class LegacyNonAsciiUrlTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    [Fact]
    public async Task A_stored_authorize_url_with_a_unicode_host_ends_the_flow_as_invalid_provider_url()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "legacy_idp");
        // Arranged in the database on purpose: the API no longer accepts such a URL, older rows may hold one.
        await app.WriteDbAsync(db => db.Set<CustomProvider>()
            .Where(c => c.AccountId == account.AccountId && c.Name == "legacy_idp")
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.DefinitionJson,
                c => c.DefinitionJson.Replace(idp.Issuer + "/auth", "https://bücher.example/auth"))));
        // Behind the API's back, so this node's cached copy of the account's providers is dropped by hand.
        app.Services.GetRequiredService<AccountChanges>().Bump(account.AccountId);
        var start = await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(await OAuthDriver.AuthUrlAsync(account, cid, "u1")));
        Assert.NotEqual(HttpStatusCode.InternalServerError, start.StatusCode);
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/u1")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("invalid_provider_url", user["lastError"]!.GetValue<string>());
    }
}
