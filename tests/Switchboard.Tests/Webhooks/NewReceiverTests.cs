using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// An install's event is settled in the install's own write when no endpoint can receive it. That is only right if an
/// endpoint being made receivable in the same project (created enabled, or enabled) and an install in flight there
/// are ordered: on SQLite by the one writer, on PostgreSQL by the project's advisory lock (shared for installs,
/// exclusive for the endpoint's write). Each test holds one side open in a write and shows the other side waits.
/// </summary>
[Collection("webhooks")]
public sealed class NewReceiverTests(Receivers receivers, WebhookApp app) : IClassFixture<WebhookApp>
{
    private static readonly TimeSpan Held = TimeSpan.FromMilliseconds(700);

    private static string Name() => "nr-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task An_install_waits_for_an_endpoint_being_made_in_its_project_and_its_event_goes_to_that_endpoint()
    {
        var account = await app.CreateAccountAsync();
        await account.InstallStripeAsync();
        var name = Name();
        var secret = "whsec_" + Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray());
        receivers.Dotnet.SetSecrets(name, secret);
        var writer = app.Services.GetRequiredService<IStoreWriter>();
        var box = app.Services.GetRequiredService<SecretBox>();

        Task? install = null;
        await writer.WriteAsync(async (tx, token) =>
        {
            await EventOutbox.HoldEventsForNewReceiverAsync(tx, account.AccountId, account.ProjectId, token);
            install = account.InstallStripeAsync();
            await Task.Delay(Held, token);
            Assert.False(install.IsCompleted, "the install committed while an endpoint of its project was being made");
            var now = DateTime.UtcNow;
            var id = Guid.CreateVersion7();
            tx.Db.Add(new WebhookEndpoint
            {
                Id = id, AccountId = account.AccountId, ProjectId = account.ProjectId, Url = receivers.Dotnet.UrlFor(name),
                EventTypesJson = "[]", Enabled = true, CreatedAt = now, UpdatedAt = now,
                Secret = box.EncryptString(secret, SealedFields.WebhookSecretAad(account.AccountId, id, "secret")),
            });
            await tx.Db.SaveChangesAsync(token);
        }, CancellationToken.None);
        await install!;

        var events = await app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking()
            .Where(e => e.AccountId == account.AccountId).OrderBy(e => e.CreatedAt).ToListAsync());
        Assert.Equal(2, events.Count);
        Assert.Equal(OutboxEvent.SettledAtCommit, events[0].FanOutId);     // no endpoint then
        Assert.NotEqual(OutboxEvent.SettledAtCommit, events[1].FanOutId);  // the new endpoint is owed it
        var got = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 1, "the second install's event");
        var delivered = Assert.Single(got);
        Assert.Equal(EventTypes.IntegrationInstalled, delivered.Type);
        Assert.Equal(Switchboard.Webhooks.WebhookOutbox.MessageIdOf(events[1].Id), delivered.Id);
        Assert.True(delivered.Verified, delivered.Error);
    }

    [Fact]
    public async Task Creating_or_enabling_an_endpoint_waits_for_an_install_in_flight_in_its_project()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        var writer = app.Services.GetRequiredService<IStoreWriter>();

        // Stands for an install of the project between its check and its commit.
        async Task<HttpResponseMessage> WhileAnInstallIsInFlight(Func<Task<HttpResponseMessage>> send) =>
            await await writer.WriteAsync(async (tx, token) =>
            {
                if (!tx.Sql.IsSqlite)
                    await tx.Db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock_shared({0}, {1})",
                        [EventOutbox.ReceiversLockClass, EventOutbox.ReceiversLockKey(account.AccountId, account.ProjectId)], token);
                var sent = send();
                await Task.Delay(Held, token);
                Assert.False(sent.IsCompleted, "the endpoint's write committed while an install of its project was in flight");
                return sent;
            }, CancellationToken.None);

        var created = await (await WhileAnInstallIsInFlight(() =>
            client.PostJson("/api/v1/webhook-endpoints", new { url = receivers.Dotnet.UrlFor(Name()) }))).ShouldBe(HttpStatusCode.Created);
        Assert.True(created["webhook_endpoint"]!["enabled"]!.GetValue<bool>());

        var disabled = await (await client.PostJson("/api/v1/webhook-endpoints", new { url = receivers.Dotnet.UrlFor(Name()), enabled = false }))
            .ShouldBe(HttpStatusCode.Created);
        var id = disabled["webhook_endpoint"]!["id"]!.GetValue<string>();
        var enabled = await (await WhileAnInstallIsInFlight(() =>
            client.PatchAsync($"/api/v1/webhook-endpoints/{id}", Api.Json("{\"enabled\": true}")))).ShouldBe(HttpStatusCode.OK);
        Assert.True(enabled["enabled"]!.GetValue<bool>());
    }
}
