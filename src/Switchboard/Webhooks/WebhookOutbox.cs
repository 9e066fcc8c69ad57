using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Store;

namespace Switchboard.Webhooks;

/// <summary>
/// The database side of delivery, shared by every node: events fanned out to deliveries, due deliveries claimed, an
/// attempt's result recorded. Every claim is a compare-and-set in one write, so of N nodes exactly one gets each
/// event and each attempt (on PostgreSQL a second UPDATE of the same rows waits for the first to commit and then no
/// longer matches).
/// </summary>
public sealed class WebhookOutbox(IStoreWriter writer, IServiceScopeFactory scopes, TimeProvider time)
{
    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Fans up to <paramref name="batch"/> pending events out to the endpoints subscribed now; returns how many events.</summary>
    public async Task<int> FanOutAsync(int batch, CancellationToken ct)
    {
        // Read first, outside any write: an idle poll must not take SQLite's write lock (or a PostgreSQL transaction).
        // A system job across accounts: the scan has no account predicate; the deliveries carry each event's own.
        List<Guid> pending;
        bool subscribers;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var read = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
            var found = await read.Set<OutboxEvent>().AsNoTracking()
                .Where(e => e.FannedOutAt == null).OrderBy(e => e.CreatedAt).Take(batch).Select(e => new { e.Id, e.AccountId }).ToListAsync(ct);
            if (found.Count == 0) return 0;
            pending = found.Select(e => e.Id).ToList();
            var accounts = found.Select(e => e.AccountId).Distinct().ToList();
            subscribers = await read.Set<WebhookEndpoint>().AsNoTracking().AnyAsync(x => x.Enabled && accounts.Contains(x.AccountId), ct);
        }
        // Most events have no endpoint to go to: marking them is one UPDATE. The events read above committed before this
        // read, so an endpoint created after it is younger than each of them and is owed none of them.
        // The claim: the pending events not yet fanned out by another node get this fan-out's marker.
        Task<int> ClaimAsync(StoreTransaction tx, Guid marker, DateTime at, CancellationToken token) =>
            tx.Db.Set<OutboxEvent>().Where(e => pending.Contains(e.Id) && e.FannedOutAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.FanOutId, marker).SetProperty(e => e.FannedOutAt, at), token);
        if (!subscribers)
        {
            var (marker, at) = (Guid.NewGuid(), Now);
            return await writer.WriteAsync((tx, token) => ClaimAsync(tx, marker, at, token), ct);
        }
        return await writer.WriteAsync(async (tx, token) =>
        {
            var db = tx.Db;
            var now = Now;
            var fanOut = Guid.NewGuid();
            if (await ClaimAsync(tx, fanOut, now, token) == 0) return 0;
            // By primary key: fan_out_id has no index, and a scan of it grows with the table.
            var events = await db.Set<OutboxEvent>().AsNoTracking().Where(e => pending.Contains(e.Id) && e.FanOutId == fanOut)
                .Select(e => new { e.Id, e.AccountId, e.ProjectId, e.Type }).ToListAsync(token);
            var accounts = events.Select(e => e.AccountId).Distinct().ToList();
            var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking().Where(x => x.Enabled && accounts.Contains(x.AccountId))
                .Select(x => new { x.Id, x.AccountId, x.ProjectId, x.EventTypesJson }).ToListAsync(token);
            var subscribed = endpoints.Select(x => (x.Id, x.AccountId, x.ProjectId, Types: JsonSerializer.Deserialize<string[]>(x.EventTypesJson) ?? [])).ToList();
            foreach (var e in events)
                foreach (var x in subscribed.Where(x => x.AccountId == e.AccountId && x.ProjectId == e.ProjectId
                                                        && (x.Types.Length == 0 || x.Types.Contains(e.Type))))
                    db.Add(NewDelivery(e.AccountId, e.ProjectId, x.Id, e.Id, e.Type, MessageIdOf(e.Id), now, replayOf: null));
            await db.SaveChangesAsync(token);
            return events.Count;
        }, ct);
    }

    public static string MessageIdOf(Guid eventId) => "msg_" + eventId.ToString("N");

    public static WebhookDelivery NewDelivery(string accountId, string projectId, Guid endpointId, Guid eventId, string type, string messageId,
        DateTime now, Guid? replayOf) => new()
    {
        Id = Guid.CreateVersion7(),
        AccountId = accountId,
        ProjectId = projectId,
        EndpointId = endpointId,
        EventId = eventId,
        EventType = type,
        MessageId = messageId,
        NextAttemptAt = now,
        ReplayOf = replayOf,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>One claimed attempt: what to send where, and the claim that must still be held to record its result.</summary>
    public sealed record Claimed(Guid DeliveryId, string AccountId, string ProjectId, Guid EndpointId, string MessageId, int Attempt,
        DateTime? FirstAttemptAt, Guid ClaimId, string Url, byte[] Secret, byte[]? PreviousSecret, DateTime? PreviousSecretUntil, string Body);

    /// <summary>Claims up to <paramref name="max"/> due deliveries for this node until <paramref name="claimFor"/> from now.</summary>
    public async Task<IReadOnlyList<Claimed>> ClaimDueAsync(int max, TimeSpan claimFor, CancellationToken ct)
    {
        if (max <= 0) return [];
        var now = Now;
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
            // A disabled endpoint's deliveries wait (pending) until it is enabled again.
            due = await (from d in db.Set<WebhookDelivery>().AsNoTracking()
                         where d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now
                         join x in db.Set<WebhookEndpoint>().AsNoTracking() on new { Id = d.EndpointId, d.AccountId } equals new { x.Id, x.AccountId }
                         where x.Enabled
                         orderby d.NextAttemptAt
                         select d.Id).Take(max).ToListAsync(ct);
        }
        if (due.Count == 0) return [];
        var claim = Guid.NewGuid();
        var until = now + claimFor;
        return await writer.WriteAsync<IReadOnlyList<Claimed>>(async (tx, token) =>
        {
            var db = tx.Db;
            var taken = await db.Set<WebhookDelivery>()
                .Where(d => due.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.ClaimId, claim).SetProperty(d => d.NextAttemptAt, until), token);
            if (taken == 0) return [];
            var rows = await (from d in db.Set<WebhookDelivery>().AsNoTracking()
                              where d.ClaimId == claim
                              join x in db.Set<WebhookEndpoint>().AsNoTracking() on new { Id = d.EndpointId, d.AccountId } equals new { x.Id, x.AccountId }
                              join e in db.Set<OutboxEvent>().AsNoTracking() on new { Id = d.EventId, d.AccountId } equals new { e.Id, e.AccountId }
                              select new Claimed(d.Id, d.AccountId, d.ProjectId, d.EndpointId, d.MessageId, d.Attempts + 1, d.FirstAttemptAt, claim,
                                  x.Url, x.Secret, x.PreviousSecret, x.PreviousSecretUntil, e.PayloadJson)).ToListAsync(token);
            return rows;
        }, ct);
    }

    /// <summary>What one attempt got: the status code (null when no response), how long it took, an error code, a Retry-After.</summary>
    public sealed record AttemptResult(long Timestamp, DateTime AttemptedAt, int? StatusCode, int LatencyMs, string? Error, TimeSpan? RetryAfter)
    {
        public bool Delivered => StatusCode is >= 200 and < 300;
    }

    /// <summary>
    /// Records an attempt made under <paramref name="c"/>'s claim and schedules the next one; a 410 or a schedule used up
    /// without any success since the delivery's first attempt disables the endpoint (audited). False when the claim was
    /// lost (it ran out and another node took the delivery): nothing is recorded.
    /// </summary>
    public Task<bool> RecordAsync(Claimed c, AttemptResult r, CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) =>
        {
            var db = tx.Db;
            var now = Now;
            var delay = r.Delivered ? null : RetrySchedule.After(c.Attempt, r.StatusCode is 429 or 503 ? r.RetryAfter : null);
            var gone = r.StatusCode == 410;
            var status = r.Delivered ? WebhookDeliveryStatus.Delivered : gone || delay is null ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending;
            DateTime? next = status == WebhookDeliveryStatus.Pending ? now + delay : null;
            var first = c.FirstAttemptAt ?? r.AttemptedAt;
            var updated = await db.Set<WebhookDelivery>()
                .Where(d => d.AccountId == c.AccountId && d.Id == c.DeliveryId && d.ClaimId == c.ClaimId && d.Attempts == c.Attempt - 1)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Attempts, c.Attempt).SetProperty(d => d.Status, status)
                    .SetProperty(d => d.NextAttemptAt, next).SetProperty(d => d.ClaimId, (Guid?)null)
                    .SetProperty(d => d.FirstAttemptAt, first).SetProperty(d => d.LastStatusCode, r.StatusCode)
                    .SetProperty(d => d.LastError, r.Error).SetProperty(d => d.UpdatedAt, now)
                    .SetProperty(d => d.DeliveredAt, d => r.Delivered ? now : d.DeliveredAt), token);
            if (updated == 0) return false;
            db.Add(new WebhookAttempt
            {
                Id = Guid.CreateVersion7(), AccountId = c.AccountId, DeliveryId = c.DeliveryId, Number = c.Attempt, AttemptedAt = r.AttemptedAt,
                Timestamp = r.Timestamp, StatusCode = r.StatusCode, LatencyMs = r.LatencyMs, Error = r.Error,
            });
            var endpoint = await db.Set<WebhookEndpoint>().FirstOrDefaultAsync(x => x.AccountId == c.AccountId && x.Id == c.EndpointId, token);
            if (endpoint is not null)
            {
                if (r.Delivered) endpoint.LastSuccessAt = now;
                else if (endpoint.Enabled && (gone || (delay is null && (endpoint.LastSuccessAt is null || endpoint.LastSuccessAt < first))))
                {
                    endpoint.Enabled = false;
                    endpoint.DisabledReason = gone ? WebhookDisabledReason.Gone : WebhookDisabledReason.Failing;
                    endpoint.DisabledAt = now;
                    endpoint.UpdatedAt = now;
                    endpoint.Version++;
                    AuditLog.Record(db, AuditActor.System, c.AccountId, "webhook.endpoint.disabled", c.ProjectId, targetId: c.EndpointId.ToString(),
                        data: new { reason = endpoint.DisabledReason, delivery_id = c.DeliveryId, attempts = c.Attempt, status_code = r.StatusCode, error = r.Error });
                }
            }
            await db.SaveChangesAsync(token);
            return true;
        }, ct);
}
