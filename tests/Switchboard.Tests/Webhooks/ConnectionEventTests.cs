using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Events;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Webhooks;

/// <summary>The OAuth flow's events against the real authorization server: one connection.created per connection.</summary>
[Collection("oauth")]
public sealed class ConnectionEventTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private Task<List<OutboxEvent>> EventsAsync(string accountId) =>
        app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking().Where(e => e.AccountId == accountId).OrderBy(e => e.CreatedAt).ToListAsync());

    [Fact]
    public async Task Exactly_one_connection_created_per_connection_and_failed_and_deleted_are_reported()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        await OAuthDriver.ConnectAsync(app, account, cid, "alice");
        await OAuthDriver.ConnectAsync(app, account, cid, "alice"); // authorised again: the same connection
        await OAuthDriver.ConnectAsync(app, account, cid, "bob");
        var denied = await OAuthDriver.AuthorizeAtProviderAsync(app, await OAuthDriver.AuthUrlAsync(account, cid, "carol", "https://app.example.com/done"), consent: false);
        await OAuthDriver.CallbackAsync(app, denied);
        await (await account.Client().DeleteAsync($"/v1/integrations/{cid}/users/bob")).ShouldBe(HttpStatusCode.NoContent);

        var events = await EventsAsync(account.AccountId);
        var created = events.Where(e => e.Type == EventTypes.ConnectionCreated).Select(e => JsonNode.Parse(e.PayloadJson)!["data"]!).ToList();
        Assert.Equal(["alice", "bob"], created.Select(d => d["end_user_id"]!.GetValue<string>()).Order());
        Assert.All(created, d =>
        {
            Assert.Equal("local_idp", d["provider"]!.GetValue<string>());
            Assert.Equal(account.ProjectId, d["project_id"]!.GetValue<string>());
            Assert.NotNull(d["connection_id"]);
        });
        var failed = JsonNode.Parse(Assert.Single(events, e => e.Type == EventTypes.ConnectionFailed).PayloadJson)!["data"]!;
        Assert.Equal("carol", failed["end_user_id"]!.GetValue<string>());
        Assert.NotNull(failed["error"]);
        var deleted = JsonNode.Parse(Assert.Single(events, e => e.Type == EventTypes.ConnectionDeleted).PayloadJson)!["data"]!;
        Assert.Equal("bob", deleted["end_user_id"]!.GetValue<string>());
        Assert.All(events, e => Assert.DoesNotContain(OAuthServer.Secret("sb-client"), e.PayloadJson));
    }
}
