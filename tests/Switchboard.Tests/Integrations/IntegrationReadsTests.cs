using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The credential reads' one statement (kept prepared on SQLite, a compiled query on PostgreSQL) reads back every
/// column exactly as EF reads it, keeps to the account, and tells a missing connection from a missing integration.
/// </summary>
public sealed class IntegrationReadsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, 123, DateTimeKind.Utc);

    [Fact]
    public async Task The_integration_and_the_users_connection_come_back_column_for_column_as_ef_reads_them()
    {
        var account = await app.CreateAccountAsync();
        var other = await app.CreateAccountAsync("other");
        var (integration, connection) = await StoreAsync(account);

        var found = await FindAsync(account.AccountId, integration.Id, "user-1");
        Assert.NotNull(found);
        var (efIntegration, efConnection) = await app.WithDbAsync(async db => (
            await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == integration.Id),
            await db.Set<OAuthConnection>().AsNoTracking().SingleAsync(c => c.Id == connection.Id)));
        AssertSameColumns(efIntegration, found!.Integration);
        AssertSameColumns(efConnection, found.Connection!);
        Assert.Equal(DateTimeKind.Utc, found.Connection!.ExpiresAt!.Value.Kind);
        Assert.Equal(At.AddHours(1), found.Connection.ExpiresAt);
        Assert.Equal([1, 2, 3], found.Connection.AccessToken);
        Assert.Null(found.Connection.Credential);

        var noUser = await FindAsync(account.AccountId, integration.Id, "user-2");
        Assert.NotNull(noUser);
        Assert.Null(noUser!.Connection);
        Assert.Null(await FindAsync(other.AccountId, integration.Id, "user-1"));
        Assert.Null(await FindAsync(account.AccountId, Guid.NewGuid(), "user-1"));
    }

    [Fact]
    public async Task The_install_comes_back_with_every_secret_as_ef_reads_it_and_only_in_its_project()
    {
        var account = await app.CreateAccountAsync();
        var (integration, _) = await StoreAsync(account);
        await app.WriteDbAsync(async db =>
        {
            foreach (var name in new[] { "webhook_secret", "api_key" })
                db.Add(new IntegrationSecret
                {
                    Id = Guid.CreateVersion7(), AccountId = account.AccountId, IntegrationId = integration.Id, Name = name,
                    Ciphertext = [9, 8, 7], KeyId = "k1", Fingerprint = "fp-" + name, CreatedAt = At, UpdatedAt = At.AddSeconds(2),
                });
            return await db.SaveChangesAsync();
        });
        var reads = app.Services.GetRequiredService<IntegrationReads>();
        var found = await app.WithDbAsync(db => reads.FindInstallAsync(db, account.AccountId, account.ProjectId, "oauth_test", CancellationToken.None));
        var ef = await app.WithDbAsync(db => db.Integrations.AsNoTracking().Include(i => i.Secrets).SingleAsync(i => i.Id == integration.Id));
        Assert.NotNull(found);
        AssertSameColumns(ef, found!);
        Assert.Equal(["api_key", "webhook_secret"], found.Secrets.Select(x => x.Name).Order());
        foreach (var secret in found.Secrets) AssertSameColumns(ef.Secrets.Single(x => x.Id == secret.Id), secret);

        var bare = await app.CreateAccountAsync("bare");
        await StoreAsync(bare);
        var none = await app.WithDbAsync(db => reads.FindInstallAsync(db, bare.AccountId, bare.ProjectId, "oauth_test", CancellationToken.None));
        Assert.Empty(none!.Secrets);
        Assert.Null(await app.WithDbAsync(db => reads.FindInstallAsync(db, account.AccountId, bare.ProjectId, "oauth_test", CancellationToken.None)));
        Assert.Null(await app.WithDbAsync(db => reads.FindInstallAsync(db, account.AccountId, account.ProjectId, "stripe", CancellationToken.None)));
    }

    private Task<IntegrationWithConnection?> FindAsync(string accountId, Guid integrationId, string userId) =>
        app.WithDbAsync(db => app.Services.GetRequiredService<IntegrationReads>().FindWithConnectionAsync(db, accountId, integrationId, userId, CancellationToken.None));

    private async Task<(Integration, OAuthConnection)> StoreAsync(TestAccount account)
    {
        var integration = new Integration
        {
            Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId, Provider = "oauth_test",
            Status = IntegrationStatus.Active, InstalledAt = At, ParamsJson = "{\"a\":1}", DisplayName = "Shown", SidebarEnabled = true,
            HealthStatus = "healthy", LastSyncedAt = At, BaseUrlOverride = "http://127.0.0.1:1", AllowedRedirectOriginsJson = "[\"https://x.example\"]",
            HealthCheckDueAt = At.AddMinutes(5), CreatedAt = At, UpdatedAt = At.AddSeconds(1), Version = 7,
        };
        var connection = new OAuthConnection
        {
            Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId, IntegrationId = integration.Id,
            UserId = "user-1", Status = ConnectionStatus.Active, Scopes = "read write", TokenType = "Bearer", AccessToken = [1, 2, 3],
            RefreshToken = [4, 5], ParamsJson = "{}", ExpiresAt = At.AddHours(1), Generation = 3, LeaseOwner = "n1", LeaseUntil = At,
            FailureCount = 2, FirstFailureAt = At, NextAttemptAt = At.AddMinutes(1), LastError = "invalid_grant", ConnectedAt = At,
            RefreshedAt = At, CreatedAt = At, UpdatedAt = At,
        };
        await app.WriteDbAsync(async db =>
        {
            db.Add(integration);
            db.Add(connection);
            return await db.SaveChangesAsync();
        });
        return (integration, connection);
    }

    private static void AssertSameColumns<T>(T expected, T actual)
    {
        foreach (var p in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType.IsValueType || p.PropertyType == typeof(string) || p.PropertyType == typeof(byte[])))
        {
            var (e, a) = (p.GetValue(expected), p.GetValue(actual));
            if (e is byte[] eb) Assert.Equal(eb, Assert.IsType<byte[]>(a));
            else Assert.True(Equals(e, a), $"{typeof(T).Name}.{p.Name}: EF read {e ?? "null"}, the one statement read {a ?? "null"}");
            if (e is DateTime ed) Assert.Equal(ed.Kind, ((DateTime)a!).Kind);
        }
    }
}
