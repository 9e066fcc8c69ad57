using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Webhooks;

/// <summary>
/// Webhook endpoints (Standard Webhooks): CRUD, secret rotation, the delivery log and replay. An endpoint belongs to one
/// project and receives that project's events; as for API keys, a key restricted to a project sees and creates only its
/// project's endpoints, other keys the account's (created in the project named by project_id, else the default one).
/// Another account's endpoint, or another project's for a restricted key, is a 404.
/// </summary>
public static class WebhooksEndpoints
{
    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/webhook-endpoints").WithTags("Webhooks");
        group.MapGet("/", List).RequireScope(Scopes.Read).WithName("ListWebhookEndpoints").WithSummary("List this project's webhook endpoints");
        group.MapPost("/", Create).RequireScope(Scopes.WebhooksWrite).ReadsBody().AcceptsJson<WebhookEndpointRequest>().RefusesIdempotencyKey()
            .WithName("CreateWebhookEndpoint").WithSummary("Create a webhook endpoint; its whsec_ signing secret is shown once");
        group.MapGet("/{id}", Get).RequireScope(Scopes.Read).WithName("GetWebhookEndpoint").WithSummary("One webhook endpoint");
        group.MapPatch("/{id}", Update).RequireScope(Scopes.WebhooksWrite).ReadsBody().AcceptsJson<WebhookEndpointRequest>()
            .WithName("UpdateWebhookEndpoint").WithSummary("Change url, event_types or enabled (enabling resumes its pending deliveries)");
        group.MapDelete("/{id}", Delete).RequireScope(Scopes.WebhooksWrite).WithName("DeleteWebhookEndpoint").WithSummary("Delete a webhook endpoint and its delivery log");
        group.MapPost("/{id}/rotate-secret", RotateSecret).RequireScope(Scopes.WebhooksWrite).RefusesIdempotencyKey()
            .WithName("RotateWebhookSecret").WithSummary("New signing secret, shown once; the previous one keeps signing (both signatures sent) during the overlap window");
        group.MapGet("/{id}/deliveries", ListDeliveries).RequireScope(Scopes.Read)
            .WithName("ListWebhookDeliveries").WithSummary("Deliveries to this endpoint, newest first, with every attempt (status code, latency, error)");
        group.MapPost("/{id}/deliveries/{deliveryId}/replay", Replay).RequireScope(Scopes.WebhooksWrite)
            .WithName("ReplayWebhookDelivery").WithSummary("Send a delivery's event again: same webhook-id, new timestamp");
        return api;
    }

    public static async Task<Ok<WebhookEndpointList>> List(Tenant tenant, SwitchboardDb db, TimeProvider time, CancellationToken ct)
    {
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        var rows = await db.Set<WebhookEndpoint>().AsNoTracking()
            .Where(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted)).OrderBy(e => e.CreatedAt).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        return TypedResults.Ok(new WebhookEndpointList(rows.Select(e => WebhookEndpointView.From(e, now)).ToList()));
    }

    public static async Task<Results<Ok<WebhookEndpointView>, ProblemHttpResult>> Get(string id, Tenant tenant, SwitchboardDb db, TimeProvider time, CancellationToken ct)
    {
        var row = await FindAsync(db, tenant, id, ct);
        return row is null ? NotFound(id) : TypedResults.Ok(WebhookEndpointView.From(row, time.GetUtcNow().UtcDateTime));
    }

    public static async Task<Results<Created<WebhookEndpointWithSecret>, ProblemHttpResult>> Create(HttpRequest request, Tenant tenant, SwitchboardDb db,
        [AsParameters] WebhookServices s, CancellationToken ct)
    {
        var (body, problem) = await JsonRequests.ReadAsync<WebhookEndpointRequest>(request, ct);
        if (problem is not null) return problem;
        if (body!.Url is null) return Problems.Validation([new("url", "required", "url is required (an absolute https URL).")]);
        if (CheckUrl(s.Policy, body.Url) is { } bad) return Problems.Validation([bad]);
        if (!s.Box.IsAvailable) return Problems.EncryptionUnavailable();
        var accountId = tenant.AccountId;
        // As for API keys: project_id left out means the project the request acts on; another project the key may not
        // see (or that does not exist) is a 404.
        var projectId = body.ProjectId ?? tenant.ProjectId;
        if (body.ProjectId is { } asked && (!tenant.MaySee(asked) || !await db.Projects.AnyAsync(p => p.AccountId == accountId && p.Id == asked, ct)))
            return Problems.NotFound("project", asked);
        var max = s.Options.Value.MaxEndpointsPerProject;
        if (await db.Set<WebhookEndpoint>().CountAsync(e => e.AccountId == accountId && e.ProjectId == projectId, ct) >= max)
            return Problems.Conflict("too_many_webhook_endpoints", "Too many webhook endpoints", $"A project has at most {max} webhook endpoints (Switchboard:Webhooks:MaxEndpointsPerProject).");

        var now = s.Time.GetUtcNow().UtcDateTime;
        var id = Guid.CreateVersion7();
        var secret = WebhookSignature.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Id = id, AccountId = accountId, ProjectId = projectId, Url = body.Url,
            EventTypesJson = JsonSerializer.Serialize(body.EventTypes ?? []), Enabled = body.Enabled ?? true,
            DisabledReason = body.Enabled == false ? WebhookDisabledReason.Manual : null, DisabledAt = body.Enabled == false ? now : null,
            Secret = s.Box.EncryptString(secret, SealedFields.WebhookSecretAad(accountId, id, "secret")),
            CreatedAt = now, UpdatedAt = now,
        };
        await s.Writer.WriteAsync(async (tx, token) =>
        {
            if (endpoint.Enabled) await EventOutbox.HoldEventsForNewReceiverAsync(tx, accountId, projectId, token);
            tx.Db.Add(endpoint);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "webhook.endpoint.created", projectId, targetId: id.ToString(),
                data: new { host = new Uri(body.Url).Host, event_types = body.EventTypes ?? [], endpoint.Enabled });
            await tx.Db.SaveChangesAsync(token);
        }, ct);
        return TypedResults.Created($"/api/v1/webhook-endpoints/{id}", new WebhookEndpointWithSecret(WebhookEndpointView.From(endpoint, now), secret));
    }

    public static async Task<Results<Ok<WebhookEndpointView>, ProblemHttpResult>> Update(string id, HttpRequest request, Tenant tenant,
        [AsParameters] WebhookServices s, CancellationToken ct)
    {
        var (body, problem) = await JsonRequests.ReadAsync<WebhookEndpointRequest>(request, ct);
        if (problem is not null) return problem;
        if (body!.Url is not null && CheckUrl(s.Policy, body.Url) is { } bad) return Problems.Validation([bad]);
        if (!Guid.TryParse(id, out var guid)) return NotFound(id);
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        var now = s.Time.GetUtcNow().UtcDateTime;
        var updated = await s.Writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted) && e.Id == guid, token);
            if (row is null) return null;
            var before = new { row.Url, row.EventTypesJson, row.Enabled };
            if (body.Url is not null) row.Url = body.Url;
            if (body.EventTypes is not null) row.EventTypesJson = JsonSerializer.Serialize(body.EventTypes);
            if (body.Enabled is { } enabled && enabled != row.Enabled)
            {
                row.Enabled = enabled;
                row.DisabledReason = enabled ? null : WebhookDisabledReason.Manual;
                row.DisabledAt = enabled ? null : now;
            }
            if (before.Equals(new { row.Url, row.EventTypesJson, row.Enabled })) return row;
            if (row.Enabled && !before.Enabled) await EventOutbox.HoldEventsForNewReceiverAsync(tx, accountId, row.ProjectId, token);
            row.UpdatedAt = now;
            row.Version++;
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "webhook.endpoint.updated", row.ProjectId, targetId: row.Id.ToString(), data: new
            {
                before = new { host = new Uri(before.Url).Host, event_types = JsonSerializer.Deserialize<string[]>(before.EventTypesJson), before.Enabled },
                after = new { host = new Uri(row.Url).Host, event_types = JsonSerializer.Deserialize<string[]>(row.EventTypesJson), row.Enabled },
            });
            await tx.Db.SaveChangesAsync(token);
            return row;
        }, ct);
        // A new endpoint may have deliveries waiting.
        if (updated?.Enabled == true) Events.EventSignal.Pulse();
        return updated is null ? NotFound(id) : TypedResults.Ok(WebhookEndpointView.From(updated, now));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, Tenant tenant, IStoreWriter writer, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid)) return NotFound(id);
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        var deleted = await writer.WriteAsync(async (tx, token) =>
        {
            var db = tx.Db;
            var projectId = await db.Set<WebhookEndpoint>().Where(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted) && e.Id == guid)
                .Select(e => e.ProjectId).FirstOrDefaultAsync(token);
            if (projectId is null) return false;
            var deliveries = db.Set<WebhookDelivery>().Where(d => d.AccountId == accountId && d.EndpointId == guid).Select(d => d.Id);
            await db.Set<WebhookAttempt>().Where(a => a.AccountId == accountId && deliveries.Contains(a.DeliveryId)).ExecuteDeleteAsync(token);
            await db.Set<WebhookDelivery>().Where(d => d.AccountId == accountId && d.EndpointId == guid).ExecuteDeleteAsync(token);
            await db.Set<WebhookEndpoint>().Where(e => e.AccountId == accountId && e.Id == guid).ExecuteDeleteAsync(token);
            AuditLog.Record(db, tenant.Actor, accountId, "webhook.endpoint.deleted", projectId, targetId: id);
            await db.SaveChangesAsync(token);
            return true;
        }, ct);
        return deleted ? TypedResults.NoContent() : NotFound(id);
    }

    public static async Task<Results<Ok<WebhookEndpointWithSecret>, ProblemHttpResult>> RotateSecret(string id, Tenant tenant,
        [AsParameters] WebhookServices s, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid)) return NotFound(id);
        if (!s.Box.IsAvailable) return Problems.EncryptionUnavailable();
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        var now = s.Time.GetUtcNow().UtcDateTime;
        var secret = WebhookSignature.NewSecret();
        var sealedNew = s.Box.EncryptString(secret, SealedFields.WebhookSecretAad(accountId, guid, "secret"));
        var overlap = s.Options.Value.SecretOverlap;
        var rotated = await s.Writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted) && e.Id == guid, token);
            if (row is null) return null;
            // The current secret becomes the previous one, re-sealed to its own field.
            row.PreviousSecret = SealedFields.WebhookPreviousSecret.Seal(s.Box, row, SealedFields.WebhookSecret.Open(s.Box, row));
            row.PreviousSecretUntil = now + overlap;
            row.Secret = sealedNew;
            row.UpdatedAt = now;
            row.Version++;
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "webhook.endpoint.secret_rotated", row.ProjectId, targetId: id,
                data: new { previous_secret_expires_at = row.PreviousSecretUntil });
            await tx.Db.SaveChangesAsync(token);
            return row;
        }, ct);
        return rotated is null ? NotFound(id) : TypedResults.Ok(new WebhookEndpointWithSecret(WebhookEndpointView.From(rotated, now), secret));
    }

    public static async Task<Results<Ok<WebhookDeliveryList>, ProblemHttpResult>> ListDeliveries(string id, string? limit, string? cursor,
        Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var (size, after, problem) = Paging.Parse(limit, cursor);
        if (problem is not null) return problem;
        var endpoint = await FindAsync(db, tenant, id, ct);
        if (endpoint is null) return NotFound(id);
        Guid? before = after is null ? null : Guid.TryParse(after, out var a) ? a : null;
        if (after is not null && before is null) return Problems.BadRequest("invalid_cursor", "Invalid cursor", "Use the next_cursor of a previous page.");
        var accountId = tenant.AccountId;
        var query = db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.AccountId == accountId && d.EndpointId == endpoint.Id);
        if (before is { } b) query = query.Where(d => d.Id.CompareTo(b) < 0);
        var page = await query.OrderByDescending(d => d.Id).Take(size + 1).ToListAsync(ct);
        var more = page.Count > size;
        if (more) page.RemoveAt(size);
        var ids = page.Select(d => d.Id).ToList();
        var attempts = (await db.Set<WebhookAttempt>().AsNoTracking().Where(x => x.AccountId == accountId && ids.Contains(x.DeliveryId)).ToListAsync(ct))
            .ToLookup(x => x.DeliveryId);
        return TypedResults.Ok(new WebhookDeliveryList(page.Select(d => WebhookDeliveryView.From(d, attempts[d.Id])).ToList(),
            more ? Cursor.Encode(page[^1].Id.ToString()) : null));
    }

    public static async Task<Results<Accepted<WebhookDeliveryView>, ProblemHttpResult>> Replay(string id, string deliveryId, Tenant tenant,
        [AsParameters] WebhookServices s, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var endpointId)) return NotFound(id);
        if (!Guid.TryParse(deliveryId, out var original)) return Problems.NotFound("webhook delivery", deliveryId);
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        var now = s.Time.GetUtcNow().UtcDateTime;
        var (replay, endpointFound) = await s.Writer.WriteAsync(async (tx, token) =>
        {
            var db = tx.Db;
            if (!await db.Set<WebhookEndpoint>().AnyAsync(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted) && e.Id == endpointId, token))
                return ((WebhookDelivery?)null, false);
            var d = await db.Set<WebhookDelivery>().AsNoTracking()
                .FirstOrDefaultAsync(x => x.AccountId == accountId && x.EndpointId == endpointId && x.Id == original, token);
            if (d is null) return (null, true);
            var copy = WebhookOutbox.NewDelivery(accountId, d.ProjectId, endpointId, d.EventId, d.EventType, d.MessageId, now, replayOf: d.Id);
            db.Add(copy);
            AuditLog.Record(db, tenant.Actor, accountId, "webhook.delivery.replayed", d.ProjectId, targetId: d.Id.ToString(),
                data: new { replay_id = copy.Id, webhook_id = d.MessageId, event_type = d.EventType });
            await db.SaveChangesAsync(token);
            tx.OnCommitted(Events.EventSignal.Pulse);
            return (copy, true);
        }, ct);
        if (!endpointFound) return NotFound(id);
        if (replay is null) return Problems.NotFound("webhook delivery", deliveryId);
        return TypedResults.Accepted($"/api/v1/webhook-endpoints/{id}/deliveries", WebhookDeliveryView.From(replay, []));
    }

    private static async Task<WebhookEndpoint?> FindAsync(SwitchboardDb db, Tenant tenant, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid)) return null;
        var (accountId, restricted) = (tenant.AccountId, tenant.RestrictedProjectId);
        return await db.Set<WebhookEndpoint>().AsNoTracking()
            .FirstOrDefaultAsync(e => e.AccountId == accountId && (restricted == null || e.ProjectId == restricted) && e.Id == guid, ct);
    }

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound("webhook endpoint", id);

    /// <summary>An absolute https URL (plain http only to an address the operator opened), no credentials, no fragment, not internal.</summary>
    private static FieldError? CheckUrl(OutboundPolicy policy, string url)
    {
        if (url.Contains('{') || url.Contains('}') || url.Contains('#') || !Uri.TryCreate(url, UriKind.Absolute, out _))
            return new FieldError("url", "invalid_url", "url must be an absolute https URL without a fragment.");
        return policy.CheckUrl("url", url);
    }
}

/// <summary>What the webhook write routes share.</summary>
public sealed record WebhookServices(IStoreWriter Writer, SecretBox Box, OutboundPolicy Policy, TimeProvider Time, IOptions<WebhookOptions> Options);
