using System.Text;
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
        var text = new StringBuilder(512);
        await using var scratch = tx.Connection.CreateCommand();
        tx.Sql.AppendInsert(text, scratch, e, "e");
        // The text is the same for every event: on the writer's connection it stays prepared (SQLite would parse it anew).
        await using var insert = ReusableCommands.Get(tx.Connection, tx.Transaction, text.ToString());
        insert.TakeParametersOf(scratch);
        await insert.Command.ExecuteNonQueryAsync(ct);
    }
}
