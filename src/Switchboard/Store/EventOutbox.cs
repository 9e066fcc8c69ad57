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
    public static OutboxEvent AppendInsert(StoreTransaction tx, StringBuilder sql, DbCommand command, EventEnvelope e, string prefix)
    {
        var row = RowOf(e);
        tx.Sql.AppendInsert(sql, command, row, prefix);
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
