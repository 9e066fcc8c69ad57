using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Events;

/// <summary>An event exists if and only if the change it reports committed: it is written inside the change's own write.</summary>
public sealed class EventOutboxTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static EventEnvelope Envelope(TestAccount account, string marker) =>
        new(EventTypes.IntegrationLifecycleUpdated, new EventData(account.AccountId, account.ProjectId) { IntegrationId = marker, Provider = "stripe" });

    private Task<List<OutboxEvent>> EventsOf(TestAccount account) =>
        app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking().Where(e => e.AccountId == account.AccountId).OrderBy(e => e.CreatedAt).ToListAsync());

    [Fact]
    public async Task An_event_commits_with_its_change_and_disappears_with_a_rolled_back_or_failed_one()
    {
        var account = await app.CreateAccountAsync();
        var writer = app.Services.GetRequiredService<IStoreWriter>();

        // Three writes at once (on SQLite they share one group commit): one commits, one rolls back, one throws.
        var committed = writer.WriteAsync(async (tx, ct) =>
        {
            EventOutbox.Add(tx, Envelope(account, "committed"));
            await tx.Db.SaveChangesAsync(ct);
        }, CancellationToken.None);
        var rolledBack = writer.WriteAsync(async (tx, ct) =>
        {
            EventOutbox.Add(tx, Envelope(account, "rolled-back"));
            await tx.Db.SaveChangesAsync(ct);
            tx.Rollback();
        }, CancellationToken.None);
        var failed = writer.WriteAsync(async (tx, ct) =>
        {
            EventOutbox.Add(tx, Envelope(account, "failed"));
            await tx.Db.SaveChangesAsync(ct);
            throw new InvalidOperationException("the change after the event failed");
        }, CancellationToken.None);
        await committed;
        await rolledBack;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);

        var events = await EventsOf(account);
        var only = Assert.Single(events);
        var payload = JsonNode.Parse(only.PayloadJson)!;
        Assert.Equal(EventTypes.IntegrationLifecycleUpdated, payload["type"]!.GetValue<string>());
        Assert.Equal("committed", payload["data"]!["integration_id"]!.GetValue<string>());
        Assert.Equal(account.AccountId, payload["data"]!["account_id"]!.GetValue<string>());
        Assert.NotNull(payload["timestamp"]);
    }

    [Fact]
    public async Task The_plain_sql_install_enqueues_one_event_and_a_refused_install_none()
    {
        var account = await app.CreateAccountAsync();
        // Missing the required secret: refused, nothing written.
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new { @params = new { } })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Empty(await EventsOf(account));

        await (await account.Client().PostJson("/api/v1/integrations/stripe/install",
            new { secrets = new { api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc" } })).ShouldBe(HttpStatusCode.OK);
        var installed = Assert.Single(await EventsOf(account));
        Assert.Equal(EventTypes.IntegrationInstalled, installed.Type);
        Assert.Equal(account.ProjectId, installed.ProjectId);
        var data = JsonNode.Parse(installed.PayloadJson)!["data"]!;
        Assert.Equal("stripe", data["provider"]!.GetValue<string>());
        Assert.Equal("active", data["status"]!.GetValue<string>());
        Assert.DoesNotContain("4eC39HqLyjWDarjtT1zdp7dc", installed.PayloadJson);
    }
}
