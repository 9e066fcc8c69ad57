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
        await using var cmd = tx.Connection.CreateCommand();
        cmd.Transaction = tx.Transaction;
        tx.Sql.AppendInsert(text, cmd, e, "e");
        cmd.CommandText = text.ToString();
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
