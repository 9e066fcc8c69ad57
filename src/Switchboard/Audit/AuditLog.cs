using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Telemetry;

namespace Switchboard.Audit;

/// <summary>
/// Adds audit events to the caller's DbContext, so they commit (or roll back) with the change they describe.
/// Callers pass only non-secret data: names and fingerprints of secrets, never values.
/// </summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static AuditEvent Record(DbContext db, AuditActor actor, string accountId, string action,
        string? projectId = null, string? provider = null, string? targetId = null, object? data = null)
    {
        var e = Event(actor, accountId, action, projectId, provider, targetId, data);
        db.Add(e);
        SwitchboardMetrics.AuditAppends.Add(1);
        return e;
    }

    /// <summary>
    /// outbound.blocked: the guarded outbound client refused a destination a feature tried to reach on the tenant's
    /// behalf. Records the host as configured and the feature (e.g. oauth.code_exchange), never an address or a secret.
    /// </summary>
    public static AuditEvent OutboundBlocked(DbContext db, AuditActor actor, string accountId, string? projectId, string? provider,
        string? targetId, string feature, string host) =>
        Record(db, actor, accountId, "outbound.blocked", projectId, provider, targetId, new { host, feature });

    /// <summary>
    /// An event not yet added anywhere: for writers that insert it themselves, in their own transaction.
    /// An event without a project of its own (an account-wide change) made by a project-restricted key records that
    /// key's project, so the project's audit view shows everything its keys did.
    /// </summary>
    public static AuditEvent Event(AuditActor actor, string accountId, string action,
        string? projectId = null, string? provider = null, string? targetId = null, object? data = null) => new()
    {
        Id = Guid.CreateVersion7(),
        AccountId = accountId,
        ProjectId = projectId ?? actor.ProjectId,
        Action = action,
        Provider = provider,
        TargetId = targetId,
        ActorType = actor.Type,
        ActorId = actor.Id,
        RequestId = actor.RequestId,
        ClientIp = actor.ClientIp,
        DataJson = data is null ? "{}" : JsonSerializer.Serialize(data, Json),
        CreatedAt = DateTime.UtcNow,
    };
}

/// <summary>
/// Who acted: an API key, the admin token or the system (a background job, or a browser on a hosted page, which
/// carries no key); ProjectId is the project the acting key is restricted to, if it is.
/// </summary>
public sealed record AuditActor(string Type, string? Id, string? RequestId, string? ClientIp, string? ProjectId = null)
{
    /// <summary>A background job: no request.</summary>
    public static readonly AuditActor System = new("system", null, null, null);

    /// <summary>A request without credentials (the hosted pages, the OAuth browser legs): its id and client address.</summary>
    public static AuditActor Anonymous(HttpContext http) =>
        new("system", null, http.TraceIdentifier, http.Connection.RemoteIpAddress?.ToString());
}
