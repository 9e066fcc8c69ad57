using System.Data.Common;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Audit;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Audit;

/// <summary>Standalone appends (credential reads, tool calls, proxied requests) share commits; each still stands or fails alone.</summary>
public sealed class AuditAppendTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Concurrent_appends_are_all_stored_when_they_complete_and_one_bad_event_fails_alone()
    {
        var account = await app.CreateAccountAsync();
        var writer = app.Services.GetRequiredService<IStoreWriter>();
        var events = Enumerable.Range(0, 40)
            .Select(i => AuditLog.Event(AuditActor.System, account.AccountId, "test.appended", account.ProjectId, targetId: "t" + i))
            .ToList();
        // Event 31 reuses event 7's id: whichever of the two is inserted second violates the primary key.
        var twin = events[31];
        events[31] = new AuditEvent
        {
            Id = events[7].Id, AccountId = twin.AccountId, ProjectId = twin.ProjectId, Action = twin.Action, TargetId = twin.TargetId,
            ActorType = twin.ActorType, CreatedAt = twin.CreatedAt,
        };

        var appends = events.Select(e => writer.AppendAsync(e, CancellationToken.None)).ToList();
        // A write among them (on SQLite in its own savepoint, where an append has none) stands beside the bad one.
        var beside = writer.WriteAsync(async (tx, ct) =>
        {
            await AuditAppend.AppendAsync(tx, AuditLog.Event(AuditActor.System, account.AccountId, "test.appended", account.ProjectId, targetId: "write"), ct);
            return 0;
        }, CancellationToken.None);
        var outcomes = await Task.WhenAll(appends.Select(async t =>
        {
            try { await t; return true; }
            catch (Exception) { return false; }
        }));

        await beside;
        Assert.Equal(1, outcomes.Count(ok => !ok));
        var stored = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.AccountId == account.AccountId && e.Action == "test.appended").Select(e => e.TargetId).ToListAsync());
        Assert.Equal(40, stored.Count);
        Assert.Contains("write", stored);
        var failedTarget = outcomes[7] ? "t31" : "t7";
        Assert.DoesNotContain(failedTarget, stored);
    }

    [Fact]
    public async Task An_appended_event_comes_back_column_for_column_as_ef_reads_it()
    {
        var account = await app.CreateAccountAsync();
        var writer = app.Services.GetRequiredService<IStoreWriter>();
        var appended = new AuditEvent
        {
            Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId, Action = "test.columns",
            Provider = "stripe", TargetId = "target-1", ActorType = "api_key", ActorId = "key-1", RequestId = "req-1",
            ClientIp = "192.0.2.7", DataJson = """{"user_id":"u-1"}""", CreatedAt = new DateTime(2026, 5, 6, 7, 8, 9, 456, DateTimeKind.Utc),
        };
        await writer.AppendAsync(appended, CancellationToken.None);

        var stored = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.Id == appended.Id));
        foreach (var property in typeof(AuditEvent).GetProperties())
            Assert.True(Equals(property.GetValue(appended), property.GetValue(stored)), $"{property.Name}: {property.GetValue(stored)}");
        Assert.Equal(DateTimeKind.Utc, stored.CreatedAt.Kind);
    }

    [Fact]
    public async Task The_kept_insert_text_is_the_one_append_insert_writes()
    {
        var e = AuditLog.Event(AuditActor.System, "acc", "test.text");
        await app.WithDbAsync(async db =>
        {
            var sql = ModelSql.For(db);
            var built = new StringBuilder();
            await using var scratch = db.Database.GetDbConnection().CreateCommand();
            sql.AppendInsert(built, scratch, e, "e");
            var text = sql.InsertText<AuditEvent>("e");
            Assert.Equal(built.ToString(), text);
            // BindInsert binds exactly the placeholders of the kept text, in their order (AppendInsert binds through it too).
            await using var bound = db.Database.GetDbConnection().CreateCommand();
            sql.BindInsert(bound, e, "e");
            Assert.Equal(Regex.Matches(text, @"@e\d+").Select(m => m.Value), Names(bound));
            Assert.Equal(typeof(AuditEvent).GetProperties().Length, Names(bound).Length);
            return 0;
        });

        static string[] Names(DbCommand c) => c.Parameters.Cast<DbParameter>().Select(p => p.ParameterName).ToArray();
    }
}
