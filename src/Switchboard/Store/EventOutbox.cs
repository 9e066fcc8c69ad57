using System.Data;
using System.Data.Common;
using System.IO.Hashing;
using System.Text;
using Microsoft.EntityFrameworkCore;
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
    /// The INSERT itself settles whether any endpoint can receive the event: with no enabled endpoint in its project at
    /// its commit, the row is stored already fanned out (<see cref="OutboxEvent.SettledAtCommit"/>) and the dispatcher
    /// never writes it again. That second write of the row and its pending-scan index was about a fifth of SQLite's
    /// writer time per install, and on PostgreSQL a second commit (a WAL flush) per install. On SQLite the one writer
    /// makes the check serializable. On PostgreSQL (read committed) an endpoint committed between the check's snapshot
    /// and the insert's commit would be missed, so the check runs in its own statement after a shared advisory lock on
    /// the project (<see cref="HoldEventsForNewReceiverAsync"/> takes it exclusively): either that endpoint committed
    /// before the lock was granted, and the check's fresh snapshot sees it, or it commits after this write, and is
    /// younger than the event. Shared locks do not wait for each other, and live in the lock table, not in any row.
    /// This needs READ COMMITTED (PostgreSQL's default, which Switchboard never changes): under REPEATABLE READ the
    /// snapshot would be the command's first statement's, taken before the lock. The row returned is the event as
    /// stored when no endpoint can receive it; with one, the database stored it pending instead.
    /// </remarks>
    public static OutboxEvent AppendInsert(StoreTransaction tx, StringBuilder sql, DbCommand command, EventEnvelope e, string prefix)
    {
        var row = RowOf(e);
        var model = tx.Sql;
        row.FanOutId = OutboxEvent.SettledAtCommit;
        row.FannedOutAt = row.CreatedAt;
        if (!model.IsSqlite)
        {
            var (lockClass, lockKey) = ($"@{prefix}lc", $"@{prefix}lk");
            AddInt(command, lockClass, ReceiversLockClass);
            AddInt(command, lockKey, ReceiversLockKey(row.AccountId, row.ProjectId));
            sql.Append($"SELECT pg_advisory_xact_lock_shared({lockClass}, {lockKey});\n");
        }
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
        tx.OnCommitted(EventSignal.Pulse);
        return row;
    }

    /// <summary>
    /// Called in a write that makes a webhook endpoint able to receive <paramref name="projectId"/>'s events (one created
    /// enabled, or one enabled), before it saves: on PostgreSQL it waits for the installs in flight in that project to
    /// commit and holds new ones until this write commits (see <see cref="AppendInsert"/>). Nothing to do on SQLite.
    /// </summary>
    public static async Task HoldEventsForNewReceiverAsync(StoreTransaction tx, string accountId, string projectId, CancellationToken ct)
    {
        if (tx.Sql.IsSqlite) return;
        await tx.Db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0}, {1})",
            [ReceiversLockClass, ReceiversLockKey(accountId, projectId)], ct);
    }

    /// <summary>The first key of PostgreSQL's two-key advisory locks, naming what the second key locks: a project's new event receivers.</summary>
    internal const int ReceiversLockClass = 0x5357_4245;

    /// <summary>The project's second key; two projects sharing one only wait for each other now and then.</summary>
    internal static int ReceiversLockKey(string accountId, string projectId) =>
        unchecked((int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(accountId + "\n" + projectId)));

    private static void AddInt(DbCommand command, string name, int value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Int32;
        parameter.Value = value;
        command.Parameters.Add(parameter);
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
