using System.Text.Json;
using Switchboard.Store;

namespace Switchboard.Webhooks;

/// <summary>An endpoint as the API shows it: never its secret.</summary>
public sealed record WebhookEndpointView(Guid Id, string ProjectId, string Url, IReadOnlyList<string> EventTypes, bool Enabled,
    string? DisabledReason, DateTime? DisabledAt, DateTime? PreviousSecretExpiresAt, DateTime? LastSuccessAt, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static WebhookEndpointView From(WebhookEndpoint e, DateTime now) =>
        new(e.Id, e.ProjectId, e.Url, JsonSerializer.Deserialize<string[]>(e.EventTypesJson) ?? [], e.Enabled, e.DisabledReason, e.DisabledAt,
            e.PreviousSecretUntil > now ? e.PreviousSecretUntil : null, e.LastSuccessAt, e.CreatedAt, e.UpdatedAt);
}

public sealed record WebhookEndpointList(IReadOnlyList<WebhookEndpointView> WebhookEndpoints);

/// <summary>The only responses that carry an endpoint's secret: creation and rotation.</summary>
public sealed record WebhookEndpointWithSecret(WebhookEndpointView WebhookEndpoint, string Secret);

public sealed record WebhookAttemptView(int Number, DateTime AttemptedAt, long Timestamp, int? StatusCode, int LatencyMs, string? Error);

public sealed record WebhookDeliveryView(Guid Id, Guid EventId, string EventType, string WebhookId, string Status, int Attempts,
    DateTime? NextAttemptAt, DateTime? DeliveredAt, int? LastStatusCode, string? LastError, Guid? ReplayOf, DateTime CreatedAt,
    IReadOnlyList<WebhookAttemptView> AttemptLog)
{
    public static WebhookDeliveryView From(WebhookDelivery d, IEnumerable<WebhookAttempt> attempts) =>
        new(d.Id, d.EventId, d.EventType, d.MessageId, d.Status, d.Attempts,
            d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt : null, d.DeliveredAt, d.LastStatusCode, d.LastError, d.ReplayOf, d.CreatedAt,
            attempts.OrderBy(a => a.Number).Select(a => new WebhookAttemptView(a.Number, a.AttemptedAt, a.Timestamp, a.StatusCode, a.LatencyMs, a.Error)).ToList());
}

public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryView> Deliveries, string? NextCursor);
