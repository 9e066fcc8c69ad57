using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>
/// Every test app carries <see cref="WriteEscapeGuard"/>, so the whole suite shows that no write of the service escapes
/// the store writer; this proves the guard itself catches one.
/// </summary>
public sealed class WriteEscapeGuardTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task A_write_on_a_request_context_fails_and_is_recorded_and_the_same_write_through_the_writer_does_not()
    {
        var account = await app.CreateAccountAsync();
        var updated = await Assert.ThrowsAsync<InvalidOperationException>(() => app.WithDbAsync(db => db.ApiKeys
            .Where(k => k.AccountId == account.AccountId).ExecuteUpdateAsync(s => s.SetProperty(k => k.Name, "escaped"))));
        Assert.Contains("escaped the store writer", updated.Message);
        var saved = await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(async db =>
        {
            var key = await db.ApiKeys.SingleAsync(k => k.AccountId == account.AccountId);
            key.Name = "escaped";
            return await db.SaveChangesAsync();
        }));
        // EF Core wraps what the interceptor threw in a DbUpdateException.
        Assert.Contains("escaped the store writer", saved.ToString());
        Assert.Equal(2, app.WriteGuard.Escaped.Count);
        // This fixture's deliberate escapes: forgotten, so it does not fail at disposal.
        app.WriteGuard.Forget();

        Assert.Equal(1, await app.WriteDbAsync(db => db.ApiKeys.Where(k => k.AccountId == account.AccountId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Name, "through the writer"))));
        Assert.Empty(app.WriteGuard.Escaped);
        Assert.Equal("through the writer", await app.WithDbAsync(db => db.ApiKeys.Where(k => k.AccountId == account.AccountId).Select(k => k.Name).SingleAsync()));
    }
}
