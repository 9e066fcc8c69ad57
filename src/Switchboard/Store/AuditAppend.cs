using Switchboard.Audit;

namespace Switchboard.Store;

/// <summary>
/// One audit event appended in plain SQL inside the caller's write (no EF context): the path of high-volume events
/// such as tool calls and proxied requests, which on SQLite share the group commit with every other write.
/// </summary>
public static class AuditAppend
{
    public static async Task AppendAsync(StoreTransaction tx, AuditEvent e, CancellationToken ct)
    {
        // The text is the same for every event (built once): on the writer's connection it stays prepared (SQLite would
        // parse it anew), and the parameters are bound straight onto that command.
        await using var insert = ReusableCommands.Get(tx.Connection, tx.Transaction, tx.Sql.InsertText<AuditEvent>("e"));
        tx.Sql.BindInsert(insert.Command, e, "e");
        await insert.Command.ExecuteNonQueryAsync(ct);
    }
}
