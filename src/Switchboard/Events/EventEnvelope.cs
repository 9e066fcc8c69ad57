using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Events;

/// <summary>
/// One event about to be enqueued: its type, the tenant it belongs to, and its data. Data names things (account,
/// project, integration, provider, end user, connection, a status, an error code) and never carries a secret.
/// </summary>
public sealed record EventEnvelope(string Type, EventData Data)
{
    public string AccountId => Data.AccountId;
    public string ProjectId => Data.ProjectId;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The payload exactly as delivered (and signed): {"type", "timestamp", "data"}.</summary>
    public string PayloadJson(DateTime timestamp) =>
        JsonSerializer.Serialize(new Payload(Type, timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), Data), Json);

    private sealed record Payload(string Type, string Timestamp, EventData Data);
}

/// <summary>
/// What an event is about. Null members are left out of the payload. <see cref="Error"/> is a stable code or a short
/// reason, never a provider's response body or a credential.
/// </summary>
public sealed record EventData(string AccountId, string ProjectId)
{
    public string? IntegrationId { get; init; }
    public string? Provider { get; init; }
    public string? EndUserId { get; init; }
    public string? ConnectionId { get; init; }
    /// <summary>The status after the change (integration lifecycle status, connection status, health status).</summary>
    public string? Status { get; init; }
    public string? PreviousStatus { get; init; }
    public string? Error { get; init; }
}
