using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

public static class WebhookTestApi
{
    public const string StripeKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

    public static async Task<(string Id, string Secret)> CreateEndpointAsync(this TestAccount account, string url, params string[] eventTypes)
    {
        var response = await account.Client().PostJson("/api/v1/webhook-endpoints",
            eventTypes.Length == 0 ? new { url } : new { url, event_types = eventTypes });
        var body = await response.ShouldBe(HttpStatusCode.Created);
        return (body["webhook_endpoint"]!["id"]!.GetValue<string>(), body["secret"]!.GetValue<string>());
    }

    public static async Task InstallStripeAsync(this TestAccount account) =>
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = StripeKey } }))
            .ShouldBe(HttpStatusCode.OK);

    public static async Task<JsonArray> DeliveriesAsync(this TestAccount account, string endpointId) =>
        (await (await account.Client().GetAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries")).ShouldBe(HttpStatusCode.OK))["deliveries"]!.AsArray();

    public static Task<List<WebhookDelivery>> StoredDeliveriesAsync(this SwitchboardApp app, string accountId) =>
        app.WithDbAsync(db => db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.AccountId == accountId).OrderBy(d => d.CreatedAt).ToListAsync());

    public static Task<List<WebhookAttempt>> StoredAttemptsAsync(this SwitchboardApp app, string accountId) =>
        app.WithDbAsync(db => db.Set<WebhookAttempt>().AsNoTracking().Where(d => d.AccountId == accountId).OrderBy(d => d.AttemptedAt).ThenBy(d => d.Number).ToListAsync());
}
