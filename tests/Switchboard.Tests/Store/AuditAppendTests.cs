using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Audit;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Store;

/// <summary>
/// Standalone audit appends are grouped with other writes into one commit (SQLite: the writer's batch, each append
/// without a savepoint of its own; PostgreSQL: a multi-statement batch). One that fails must fail alone.
/// </summary>
public sealed class AuditAppendTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task An_append_that_fails_fails_alone_and_the_appends_and_writes_beside_it_are_stored()
    {
        var account = await app.CreateAccountAsync();
        var writer = app.Services.GetRequiredService<IStoreWriter>();
        AuditEvent Event(string target) => AuditLog.Event(AuditActor.System, account.AccountId, "test.append", account.ProjectId, targetId: target);
        var first = Event("first");
        await writer.AppendAsync(first, CancellationToken.None);

        for (var round = 0; round < 20; round++)
        {
            // Sent together so that they tend to share a commit: the same event again (its id is taken) among good ones.
            var before = Event($"before-{round}");
            var again = writer.AppendAsync(first, CancellationToken.None);
            var beside = writer.WriteAsync(async (tx, ct) => { await AuditAppend.AppendAsync(tx, Event($"write-{round}"), ct); return 0; }, CancellationToken.None);
            var after = Event($"after-{round}");
            await Task.WhenAll(writer.AppendAsync(before, CancellationToken.None), writer.AppendAsync(after, CancellationToken.None), beside);
            await Assert.ThrowsAnyAsync<Exception>(() => again);
        }

        var targets = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.AccountId == account.AccountId && e.Action == "test.append").Select(e => e.TargetId!).ToListAsync());
        Assert.Single(targets, t => t == "first");
        Assert.Equal(61, targets.Count);
        for (var round = 0; round < 20; round++)
            Assert.Equal(3, targets.Count(t => t.EndsWith($"-{round}", StringComparison.Ordinal)));
    }
}
