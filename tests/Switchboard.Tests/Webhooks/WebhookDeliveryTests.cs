using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Events;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>Deliveries as receivers see them: every one verified by the npm and the NuGet Standard Webhooks verifiers.</summary>
[Collection("webhooks")]
public sealed class WebhookDeliveryTests(Receivers receivers, WebhookApp app) : IClassFixture<WebhookApp>
{
    private static string Name() => "r" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Every_delivery_is_signed_per_standard_webhooks_and_verified_by_the_npm_and_the_nuget_verifier()
    {
        var account = await app.CreateAccountAsync();
        var (nodeName, dotnetName) = (Name(), Name());
        var toNode = await account.CreateEndpointAsync(receivers.Node.UrlFor(nodeName));
        var toDotnet = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(dotnetName));
        await receivers.Node.SetSecretsAsync(nodeName, toNode.Secret);
        receivers.Dotnet.SetSecrets(dotnetName, toDotnet.Secret);

        await account.InstallStripeAsync();
        var client = account.Client();
        await (await client.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Api.Json(new { status = "paused" })))
            .ShouldBe(HttpStatusCode.OK);
        await (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);

        string[] expected = [EventTypes.IntegrationInstalled, EventTypes.IntegrationLifecycleUpdated, EventTypes.IntegrationDisconnected];
        var atNode = await Eventually.WaitAsync(() => receivers.Node.ForAsync(nodeName), r => r.Count >= 3, "3 deliveries at the npm receiver");
        var atDotnet = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(dotnetName)), r => r.Count >= 3, "3 deliveries at the .NET receiver");
        foreach (var r in atNode.Concat(atDotnet)) Assert.True(r.Verified, $"{r.Name} {r.Id}: {r.Error}");
        Assert.Equal(expected.Order(), atNode.Select(r => r.Type!).Order());
        Assert.Equal(expected.Order(), atDotnet.Select(r => r.Type!).Order());
        // One event, one webhook-id, whichever endpoint it goes to.
        Assert.Equal(atNode.Select(r => r.Id).Order(), atDotnet.Select(r => r.Id).Order());
        Assert.All(atNode, r => Assert.Matches("^msg_[0-9a-f]{32}$", r.Id));

        var installed = JsonNode.Parse(atDotnet.Single(r => r.Type == EventTypes.IntegrationInstalled).Body)!;
        Assert.Equal(account.AccountId, installed["data"]!["account_id"]!.GetValue<string>());
        Assert.Equal(account.ProjectId, installed["data"]!["project_id"]!.GetValue<string>());
        Assert.Equal("stripe", installed["data"]!["provider"]!.GetValue<string>());
        Assert.NotNull(installed["timestamp"]);
        Assert.All(atNode.Concat(atDotnet), r => Assert.DoesNotContain(WebhookTestApi.StripeKey, r.Body));

        // The delivery log: delivered, one attempt each, status and latency recorded.
        var log = await Eventually.WaitAsync(() => account.DeliveriesAsync(toDotnet.Id),
            d => d.Count == 3 && d.All(x => x!["status"]!.GetValue<string>() == "delivered"), "3 deliveries logged as delivered");
        Assert.All(log, d =>
        {
            var attempt = Assert.Single(d!["attempt_log"]!.AsArray());
            Assert.Equal(204, attempt!["status_code"]!.GetValue<int>());
            Assert.True(attempt["latency_ms"]!.GetValue<int>() >= 0);
        });
    }

    [Fact]
    public async Task The_secret_is_shown_once_with_at_least_24_random_bytes_and_stored_sealed()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await account.Client().PostJson("/api/v1/webhook-endpoints", new { url = receivers.Dotnet.UrlFor(Name()) }))
            .ShouldBe(HttpStatusCode.Created);
        var secret = created["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.True(Convert.FromBase64String(secret["whsec_".Length..]).Length >= 24);
        var id = created["webhook_endpoint"]!["id"]!.GetValue<string>();

        var get = await account.Client().GetStringAsync($"/api/v1/webhook-endpoints/{id}");
        var list = await account.Client().GetStringAsync("/api/v1/webhook-endpoints");
        Assert.DoesNotContain(secret["whsec_".Length..], get + list);
        Assert.DoesNotContain("\"secret\"", get);
        var row = await app.WithDbAsync(db => db.Set<WebhookEndpoint>().AsNoTracking().SingleAsync(e => e.AccountId == account.AccountId));
        Assert.Equal(-1, row.Secret.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
        Assert.DoesNotContain(secret["whsec_".Length..], app.Logs.All);
        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.AccountId == account.AccountId).ToListAsync());
        Assert.Contains(audit, e => e.Action == "webhook.endpoint.created");
        Assert.All(audit, e => Assert.DoesNotContain(secret["whsec_".Length..], e.DataJson));
    }

    [Fact]
    public async Task After_rotate_secret_each_delivery_carries_both_signatures_and_verifies_with_either_secret()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Node.UrlFor(name));
        var rotated = await (await account.Client().PostAsync($"/api/v1/webhook-endpoints/{endpoint.Id}/rotate-secret", null)).ShouldBe(HttpStatusCode.OK);
        var newSecret = rotated["secret"]!.GetValue<string>();
        Assert.NotEqual(endpoint.Secret, newSecret);
        Assert.NotNull(rotated["webhook_endpoint"]!["previous_secret_expires_at"]);
        // The npm receiver checks the delivery against each secret on its own: both must verify.
        await receivers.Node.SetSecretsAsync(name, endpoint.Secret, newSecret);

        await account.InstallStripeAsync();
        var r = Assert.Single(await Eventually.WaitAsync(() => receivers.Node.ForAsync(name), x => x.Count >= 1, "a delivery after the rotation"));
        Assert.True(r.Verified, r.Error);
        Assert.Equal(2, r.Signature.Split(' ').Length);
    }

    [Fact]
    public async Task Replay_sends_the_same_webhook_id_with_a_new_timestamp()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        await account.InstallStripeAsync();
        var first = Assert.Single(await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 1, "the first delivery"));
        var delivery = await Eventually.WaitAsync(() => account.DeliveriesAsync(endpoint.Id), d => d.Count == 1 && d[0]!["status"]!.GetValue<string>() == "delivered", "delivered");
        await Task.Delay(1100); // the next second: a new timestamp

        var replay = await (await account.Client().PostAsync($"/api/v1/webhook-endpoints/{endpoint.Id}/deliveries/{delivery[0]!["id"]}/replay", null))
            .ShouldBe(HttpStatusCode.Accepted);
        Assert.Equal(delivery[0]!["id"]!.GetValue<string>(), replay["replay_of"]!.GetValue<string>());
        var both = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 2, "the replayed delivery");
        Assert.All(both, x => Assert.True(x.Verified, x.Error));
        Assert.Equal(first.Id, both[1].Id);
        Assert.True(long.Parse(both[1].Timestamp) > long.Parse(first.Timestamp));
        Assert.Equal(first.Body, both[1].Body);
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_says_so_in_the_audit_log()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        receivers.Dotnet.Script(name, (410, null));
        await account.InstallStripeAsync();

        var view = await Eventually.WaitAsync(async () => await (await account.Client().GetAsync($"/api/v1/webhook-endpoints/{endpoint.Id}")).ShouldBe(HttpStatusCode.OK),
            v => !v["enabled"]!.GetValue<bool>(), "the endpoint disabled");
        Assert.Equal("gone", view["disabled_reason"]!.GetValue<string>());
        var delivery = Assert.Single(await app.StoredDeliveriesAsync(account.AccountId));
        Assert.Equal(WebhookDeliveryStatus.Failed, delivery.Status);
        Assert.Equal(1, delivery.Attempts);
        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .SingleAsync(e => e.AccountId == account.AccountId && e.Action == "webhook.endpoint.disabled"));
        Assert.Contains("gone", audit.DataJson);

        // A disabled endpoint gets nothing (events while it is disabled are not queued for it); enabled again, it gets the next ones.
        await (await account.Client().PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Api.Json(new { status = "paused" })))
            .ShouldBe(HttpStatusCode.OK);
        await Task.Delay(800);
        Assert.Single(receivers.Dotnet.For(name));
        await (await account.Client().PatchAsync($"/api/v1/webhook-endpoints/{endpoint.Id}", Api.Json(new { enabled = true }))).ShouldBe(HttpStatusCode.OK);
        await (await account.Client().DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        var after = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 2, "the next delivery");
        Assert.Equal(EventTypes.IntegrationDisconnected, after[1].Type);
    }

    [Fact]
    public async Task Event_types_filter_what_an_endpoint_receives()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name), EventTypes.IntegrationDisconnected);
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        await account.InstallStripeAsync();
        await (await account.Client().DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        var got = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 1, "the disconnect event");
        await Task.Delay(500);
        Assert.Equal([EventTypes.IntegrationDisconnected], receivers.Dotnet.For(name).Select(r => r.Type));
        Assert.True(got[0].Verified, got[0].Error);
    }

    [Fact]
    public async Task An_install_is_owed_to_the_endpoints_enabled_when_it_committed_and_to_no_endpoint_made_after_it()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        await account.InstallStripeAsync();
        var first = await Eventually.WaitAsync(() => app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking()
                .Where(e => e.AccountId == account.AccountId && e.Type == EventTypes.IntegrationInstalled).ToListAsync()),
            e => e.Count == 1 && e[0].FannedOutAt is not null, "the first install's event fanned out");
        // With no endpoint to receive it, the install's own write settles it (NewReceiverTests: why that is safe).
        Assert.Equal(OutboxEvent.SettledAtCommit, first[0].FanOutId);

        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        await account.InstallStripeAsync();
        var got = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= 1, "the second install's event");
        await Task.Delay(500);
        var events = await app.WithDbAsync(db => db.Set<OutboxEvent>().AsNoTracking()
            .Where(e => e.AccountId == account.AccountId).OrderBy(e => e.CreatedAt).ToListAsync());
        Assert.Equal(2, events.Count);
        Assert.NotEqual(OutboxEvent.SettledAtCommit, events[1].FanOutId);
        var delivered = Assert.Single(receivers.Dotnet.For(name));
        Assert.Equal(EventTypes.IntegrationInstalled, delivered.Type);
        Assert.Equal(Switchboard.Webhooks.WebhookOutbox.MessageIdOf(events[1].Id), delivered.Id);
        Assert.True(got[0].Verified, got[0].Error);
    }

    [Fact]
    public async Task Bad_input_is_answered_with_problems_and_writes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostJson("/api/v1/webhook-endpoints", new { })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.PostJson("/api/v1/webhook-endpoints", new { url = "ftp://example.com/x" })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var insecure = await (await client.PostJson("/api/v1/webhook-endpoints", new { url = "http://example.com/hook" })).ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("insecure_url", insecure["errors"]![0]!["code"]!.GetValue<string>());
        var blocked = await (await client.PostJson("/api/v1/webhook-endpoints", new { url = "https://169.254.169.254/latest" })).ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("blocked_address", blocked["errors"]![0]!["code"]!.GetValue<string>());
        var unknown = await (await client.PostJson("/api/v1/webhook-endpoints", new { url = "https://example.com/hook", event_types = new[] { "nope" } }))
            .ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("unknown_event_type", unknown["errors"]![0]!["code"]!.GetValue<string>());
        await (await client.PostAsync("/api/v1/webhook-endpoints", Api.Json("{\"url\": "))).ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Empty(await app.WithDbAsync(db => db.Set<WebhookEndpoint>().Where(e => e.AccountId == account.AccountId).ToListAsync()));

        await (await client.GetAsync("/api/v1/webhook-endpoints/not-a-guid")).ShouldBe(HttpStatusCode.NotFound, "webhook_endpoint_not_found");
        // Another account's endpoint is not there for this one.
        var other = await app.CreateAccountAsync("other");
        var theirs = await other.CreateEndpointAsync("https://example.com/theirs");
        await (await client.GetAsync($"/api/v1/webhook-endpoints/{theirs.Id}")).ShouldBe(HttpStatusCode.NotFound, "webhook_endpoint_not_found");
        await (await client.PatchAsync($"/api/v1/webhook-endpoints/{theirs.Id}", Api.Json(new { enabled = false }))).ShouldBe(HttpStatusCode.NotFound);
        await (await client.PostAsync($"/api/v1/webhook-endpoints/{theirs.Id}/rotate-secret", null)).ShouldBe(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/v1/webhook-endpoints/{theirs.Id}")).ShouldBe(HttpStatusCode.NotFound);
        await (await client.GetAsync($"/api/v1/webhook-endpoints/{theirs.Id}/deliveries")).ShouldBe(HttpStatusCode.NotFound);
        Assert.Single(await app.WithDbAsync(db => db.Set<WebhookEndpoint>().Where(e => e.AccountId == other.AccountId).ToListAsync()));

        // Deleting removes it from the list.
        var mine = await account.CreateEndpointAsync("https://example.com/mine");
        await (await client.DeleteAsync($"/api/v1/webhook-endpoints/{mine.Id}")).ShouldBe(HttpStatusCode.NoContent);
        Assert.Empty((await (await client.GetAsync("/api/v1/webhook-endpoints")).ShouldBe(HttpStatusCode.OK))["webhook_endpoints"]!.AsArray());
    }

    [Fact]
    public async Task A_key_without_webhooks_write_may_read_but_not_create()
    {
        var account = await app.CreateAccountAsync();
        var readOnly = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "ro", scopes = new[] { "read" } })).ShouldBe(HttpStatusCode.Created);
        var client = app.ClientWithKey(readOnly["key"]!.GetValue<string>());
        await (await client.GetAsync("/api/v1/webhook-endpoints")).ShouldBe(HttpStatusCode.OK);
        await (await client.PostJson("/api/v1/webhook-endpoints", new { url = "https://example.com/h" })).ShouldBe(HttpStatusCode.Forbidden);
        var writer = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "wh", scopes = new[] { "webhooks:write" } })).ShouldBe(HttpStatusCode.Created);
        await (await app.ClientWithKey(writer["key"]!.GetValue<string>()).PostJson("/api/v1/webhook-endpoints", new { url = "https://example.com/h" }))
            .ShouldBe(HttpStatusCode.Created);
    }
}
