using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Events;

namespace Switchboard.Store;

public sealed partial class IntegrationStore
{
    /// <summary>
    /// Claims the periodic check of one integration for this node: a compare-and-set moving health_check_due_at from the
    /// value this node read to <paramref name="next"/>. False when another node took it first.
    /// </summary>
    public Task<bool> ClaimHealthCheckAsync(string accountId, Guid integrationId, DateTime? dueAt, DateTime next, CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) => await tx.Db.Integrations
            .Where(i => i.AccountId == accountId && i.Id == integrationId && i.HealthCheckDueAt == dueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.HealthCheckDueAt, next), token) == 1, ct);

    /// <summary>
    /// Records a verification's result (health_status, error_message, last_synced_at, and the next due time when given),
    /// auditing integration.health_changed when the status changed and outbound.blocked when the guard refused the host.
    /// Only onto the install that was checked: when the row changed meanwhile (re-installed with other secrets, paused,
    /// disconnected: its Version moved), the result describes credentials that are no longer there and is dropped;
    /// the refused host is audited all the same, since that request was attempted.
    /// </summary>
    public Task RecordHealthAsync(Integration checkedRow, string previousStatus, string status, string? errorMessage, string? blockedHost,
        DateTime? nextCheckAt, AuditActor actor, CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) =>
        {
            var (accountId, id, version, target) = (checkedRow.AccountId, checkedRow.Id, checkedRow.Version, checkedRow.Id.ToString());
            if (blockedHost is not null)
                AuditLog.OutboundBlocked(tx.Db, actor, accountId, checkedRow.ProjectId, checkedRow.Provider, target, "health.check", blockedHost);
            var now = DateTime.UtcNow;
            var recorded = await tx.Db.Integrations.Where(i => i.AccountId == accountId && i.Id == id && i.Version == version).ExecuteUpdateAsync(s =>
            {
                s.SetProperty(i => i.HealthStatus, status).SetProperty(i => i.ErrorMessage, errorMessage).SetProperty(i => i.LastSyncedAt, now);
                if (nextCheckAt is { } next) s.SetProperty(i => i.HealthCheckDueAt, next);
            }, token) == 1;
            if (recorded && previousStatus != status)
            {
                AuditLog.Record(tx.Db, actor, accountId, "integration.health_changed", checkedRow.ProjectId, checkedRow.Provider, target, new
                {
                    Before = new { HealthStatus = previousStatus },
                    After = new { HealthStatus = status, ErrorMessage = errorMessage },
                });
                EventOutbox.Add(tx, new(EventTypes.IntegrationHealthChanged, new EventData(accountId, checkedRow.ProjectId)
                    { IntegrationId = target, Provider = checkedRow.Provider, Status = status, PreviousStatus = previousStatus, Error = errorMessage }));
            }
            await tx.Db.SaveChangesAsync(token);
            if (recorded) changes.Changed(tx, accountId);
        }, ct);
}
