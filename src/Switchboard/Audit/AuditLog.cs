using System.Security.Claims;
using System.Text.Json;
using Switchboard.ApiKeys;
using Switchboard.Data;

namespace Switchboard.Audit;

/// <summary>
/// Adds audit events to the caller's DbContext, so they commit (or roll back) with the change they describe.
/// Callers pass only non-secret data: names and fingerprints of secrets, never values.
/// </summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static AuditEvent Record(SwitchboardDb db, HttpContext? http, string accountId, string action,
        string? projectId = null, string? provider = null, string? targetId = null, object? data = null)
    {
        var user = http?.User;
        var isKey = user?.FindFirstValue(SwitchboardClaimTypes.KeyId) is not null;
        var authenticated = user?.Identity?.IsAuthenticated == true;
        var e = new AuditEvent
        {
            Id = Guid.CreateVersion7(),
            AccountId = accountId,
            ProjectId = projectId,
            Action = action,
            Provider = provider,
            TargetId = targetId,
            ActorType = !authenticated ? "system" : isKey ? "api_key" : "admin",
            ActorId = authenticated ? user!.ActorId() : null,
            RequestId = http?.TraceIdentifier,
            ClientIp = http?.Connection.RemoteIpAddress?.ToString(),
            DataJson = data is null ? "{}" : JsonSerializer.Serialize(data, Json),
            CreatedAt = DateTime.UtcNow,
        };
        db.Add(e);
        return e;
    }
}
