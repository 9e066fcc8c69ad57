using System.Data.Common;
using System.Text;
using Switchboard.Events;

namespace Switchboard.Store;

/// <summary>
/// The one way to enqueue an event: inside the caller's own write, so the event commits (or rolls back) with the change
/// it reports. EF Core work adds it to the transaction's context (<see cref="Add"/>, saved with the caller's
/// SaveChanges); the plain-SQL install appends its INSERT to its own statement (<see cref="AppendInsert"/>).
/// Once the write commits, this process's dispatcher is woken (<see cref="EventSignal"/>).
/// </summary>
public static class EventOutbox
{
    /// <summary>Adds the event to <paramref name="tx"/>'s context; the caller's SaveChanges writes it.</summary>
    public static OutboxEvent Add(StoreTransaction tx, EventEnvelope e)
    {
        var row = RowOf(e);
        tx.Db.Add(row);
        tx.OnCommitted(EventSignal.Pulse);
        return row;
    }

    /// <summary>Appends the event's INSERT to a plain-SQL write on <paramref name="tx"/>; its parameters are named @{prefix}{n}.</summary>
    /// <remarks>
    /// On SQLite the one writer makes the write serializable, so the INSERT itself settles whether any endpoint can
    /// receive the event: with no enabled endpoint in its project at its commit, the row is stored already fanned out
    /// (<see cref="OutboxEvent.SettledAtCommit"/>) and the dispatcher never writes it again. That second write of the
    /// row and its pending-scan index was about a fifth of the writer's time per install. On PostgreSQL (read committed)
    /// an endpoint committed between the check and the insert would be missed, so there the dispatcher decides.
    /// </remarks>
    public static OutboxEvent AppendInsert(StoreTransaction tx, StringBuilder sql, DbCommand command, EventEnvelope e, string prefix)
    {
        var row = RowOf(e);
        var model = tx.Sql;
        if (!model.IsSqlite) model.AppendInsert(sql, command, row, prefix);
        else
        {
            row.FanOutId = OutboxEvent.SettledAtCommit;
            row.FannedOutAt = row.CreatedAt;
            var (a, p, on) = ($"@{prefix}xa", $"@{prefix}xp", $"@{prefix}xe");
            model.Bind<WebhookEndpoint>(command, a, nameof(WebhookEndpoint.AccountId), row.AccountId);
            model.Bind<WebhookEndpoint>(command, p, nameof(WebhookEndpoint.ProjectId), row.ProjectId);
            model.Bind<WebhookEndpoint>(command, on, nameof(WebhookEndpoint.Enabled), true);
            var receivable = $"EXISTS (SELECT 1 FROM {model.Table<WebhookEndpoint>()} WHERE {model.Column<WebhookEndpoint>(nameof(WebhookEndpoint.AccountId))} = {a}"
                             + $" AND {model.Column<WebhookEndpoint>(nameof(WebhookEndpoint.ProjectId))} = {p}"
                             + $" AND {model.Column<WebhookEndpoint>(nameof(WebhookEndpoint.Enabled))} = {on})";
            var pendingIfReceivable = $"CASE WHEN {receivable} THEN NULL ELSE {{0}} END";
            model.AppendInsert(sql, command, row, prefix, new Dictionary<string, string>
            {
                [nameof(OutboxEvent.FanOutId)] = pendingIfReceivable,
                [nameof(OutboxEvent.FannedOutAt)] = pendingIfReceivable,
            });
        }
        tx.OnCommitted(EventSignal.Pulse);
        return row;
    }

    private static OutboxEvent RowOf(EventEnvelope e)
    {
        var now = DateTime.UtcNow;
        return new OutboxEvent
        {
            Id = Guid.CreateVersion7(now),
            AccountId = e.AccountId,
            ProjectId = e.ProjectId,
            Type = e.Type,
            PayloadJson = e.PayloadJson(now),
            CreatedAt = now,
        };
    }
}
