using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.AuditTrail;

/// <summary>
/// GET /api/v1/audit-log: the caller's account's events, newest first, cursor-paged. A key restricted to a project
/// sees only that project's events. Filters: action, provider, actor (API key id or "admin"), project_id,
/// since (inclusive) / until (exclusive) as ISO 8601 timestamps.
/// </summary>
public static class AuditLogEndpoints
{
    public const int MaxFilterLength = 100;

    public static IEndpointRouteBuilder MapAuditLog(this IEndpointRouteBuilder api)
    {
        api.MapGet("/audit-log", ListEvents).RequireScope(Scopes.Read).WithTags("Audit")
            .WithName("ListAuditEvents").WithSummary("List audit events (newest first, cursor-paged)")
            .WithDescription("Filters: action, provider, actor (API key id or admin), project_id, since, until (ISO 8601). Events never hold a secret value.");
        return api;
    }

    /// <summary>The audit log's query: filters and paging.</summary>
    public sealed record AuditQuery(string? Action, string? Provider, string? Actor, [FromQuery(Name = "project_id")] string? ProjectId,
        string? Since, string? Until, string? Cursor, string? Limit);

    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListEvents([AsParameters] AuditQuery filter, Tenant tenant, SwitchboardDb db,
        CancellationToken ct)
    {
        var (action, provider, actor, project_id, since, until, cursor, limit) =
            (filter.Action, filter.Provider, filter.Actor, filter.ProjectId, filter.Since, filter.Until, filter.Cursor, filter.Limit);
        foreach (var (name, value) in new[] { ("action", action), ("provider", provider), ("actor", actor), ("project_id", project_id) })
            // A NUL cannot be sent to PostgreSQL at all (it answered 503 database_unavailable).
            if (value is not null && (value.Length is 0 or > MaxFilterLength || value.Any(char.IsControl)))
                return Problems.BadRequest("invalid_filter", $"Invalid {name} filter", $"{name} must be 1-{MaxFilterLength} characters, none a control character.");
        DateTime? from = null, to = null;
        if (since is not null && (from = ParseTime(since)) is null)
            return Problems.BadRequest("invalid_filter", "Invalid since filter", "since must be an ISO 8601 timestamp, e.g. 2026-05-17T17:55:00Z.");
        if (until is not null && (to = ParseTime(until)) is null)
            return Problems.BadRequest("invalid_filter", "Invalid until filter", "until must be an ISO 8601 timestamp, e.g. 2026-05-17T17:55:00Z.");
        // The audit cursor is (created_at, id), decoded below; only the limit is the common one.
        var (pageSize, _, pageProblem) = Paging.Parse(limit, cursor: null);
        if (pageProblem is not null) return pageProblem;
        (DateTime At, Guid Id)? before = null;
        if (cursor is not null && (before = DecodeCursor(cursor)) is null)
            return Problems.BadRequest("invalid_cursor", "Invalid cursor", "Use the next_cursor of a previous page.");

        var accountId = tenant.AccountId;
        var restricted = tenant.RestrictedProjectId;
        if (restricted is not null && project_id is not null && project_id != restricted) return Problems.NotFound("project", project_id);
        var projectFilter = restricted ?? project_id;

        var query = db.AuditEvents.AsNoTracking().Where(e => e.AccountId == accountId);
        if (projectFilter is not null) query = query.Where(e => e.ProjectId == projectFilter);
        if (action is not null) query = query.Where(e => e.Action == action);
        if (provider is not null) query = query.Where(e => e.Provider == provider);
        if (actor is not null) query = query.Where(e => e.ActorId == actor);
        if (from is not null) query = query.Where(e => e.CreatedAt >= from);
        if (to is not null) query = query.Where(e => e.CreatedAt < to);
        // Newest first by time (the (AccountId, CreatedAt, Id) index), the id breaking ties; the cursor is the last (time, id) seen.
        if (before is { } b) query = query.Where(e => e.CreatedAt < b.At || (e.CreatedAt == b.At && e.Id.CompareTo(b.Id) < 0));
        var page = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(pageSize + 1).ToListAsync(ct);
        string? next = null;
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            next = Cursor.Encode(page[^1].CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture) + ":" + page[^1].Id);
        }
        return TypedResults.Ok(new AuditPage(page.Select(AuditEventView.From).ToArray(), next));
    }

    private static (DateTime, Guid)? DecodeCursor(string cursor)
    {
        var parts = Cursor.Decode(cursor)?.Split(':');
        if (parts is not { Length: 2 } || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks || !Guid.TryParse(parts[1], out var id)) return null;
        return (new DateTime(ticks, DateTimeKind.Utc), id);
    }

    private static DateTime? ParseTime(string s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t.UtcDateTime : null;
}

public sealed record AuditEventView(Guid Id, string Action, string? ProjectId, string? Provider, string? TargetId, string ActorType,
    string? ActorId, string? RequestId, string? ClientIp, JsonObject Data, DateTime CreatedAt)
{
    public static AuditEventView From(AuditEvent e) => new(e.Id, e.Action, e.ProjectId, e.Provider, e.TargetId, e.ActorType,
        e.ActorId, e.RequestId, e.ClientIp, JsonNode.Parse(e.DataJson) as JsonObject ?? [], e.CreatedAt);
}

public sealed record AuditPage(IReadOnlyList<AuditEventView> Data, string? NextCursor);
