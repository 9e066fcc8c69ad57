using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Audit;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Store;

/// <summary>
/// A one-command write (the install's first try) reads without a lock and commits with its one command: on PostgreSQL a
/// statement that finds its row changed must fail the whole command, leaving nothing of it written.
/// </summary>
public sealed class OneCommandWriteTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task A_checked_statement_that_finds_no_row_fails_the_command_and_nothing_of_it_is_stored()
    {
        var account = await app.CreateAccountAsync();
        var installed = await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        var id = Guid.Parse(installed["id"]!.GetValue<string>());
        var writer = app.Services.GetRequiredService<IStoreWriter>();
        if (!TestDatabase.IsPostgres)
        {
            // SQLite has one writer: the work runs in its transaction like any write.
            Assert.False(await writer.WriteInOneCommandAsync((tx, _) => Task.FromResult(tx.CommitsWithCommand), CancellationToken.None));
            return;
        }

        // An audit append, then a version bump of a row that is not there: the append must not stay.
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => BumpWithEventAsync(writer, account, "t-missing", Guid.NewGuid()));
        // The same command on the row that is there commits both.
        await BumpWithEventAsync(writer, account, "t-present", id);

        var targets = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.AccountId == account.AccountId && e.Action == "test.one_command").Select(e => e.TargetId).ToListAsync());
        Assert.Equal(["t-present"], targets);
        Assert.Equal(2, await app.WithDbAsync(db => db.Integrations.Where(i => i.Id == id).Select(i => i.Version).SingleAsync()));
    }

    private static Task<bool> BumpWithEventAsync(IStoreWriter writer, TestAccount account, string target, Guid integrationId) =>
        writer.WriteInOneCommandAsync(async (tx, _) =>
        {
            Assert.True(tx.CommitsWithCommand);
            var sql = tx.Sql;
            var text = new StringBuilder();
            await using var cmd = tx.Connection.CreateCommand();
            sql.AppendInsert(text, cmd, AuditLog.Event(AuditActor.System, account.AccountId, "test.one_command", account.ProjectId, targetId: target), "e");
            var version = sql.Column<Integration>(nameof(Integration.Version));
            text.Append(sql.OneRowOrRaise(
                $"UPDATE {sql.Table<Integration>()} SET {version} = {version} + 1 WHERE {sql.Column<Integration>(nameof(Integration.Id))} = @id;\n"));
            sql.Bind<Integration>(cmd, "@id", nameof(Integration.Id), integrationId);
            cmd.CommandText = text.ToString();
            await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            return true;
        }, CancellationToken.None);
}
