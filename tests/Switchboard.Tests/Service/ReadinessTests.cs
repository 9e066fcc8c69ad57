using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Switchboard.Tests.Crypto;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>/readyz: 200 when the database answers, migrations are applied and the key ring works; else a 503 naming what is not.</summary>
public sealed class ReadinessTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task A_node_with_its_database_migrated_and_a_key_is_ready_without_authentication()
    {
        var response = await app.CreateClient().GetAsync("/readyz");
        var body = await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ready", body["status"]!.GetValue<string>());
        foreach (var check in new[] { "database", "migrations", "key_ring" })
            Assert.Equal("ok", body["checks"]![check]!["status"]!.GetValue<string>());
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        // Liveness keeps its body.
        var health = await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal("available", health["encryption"]!.GetValue<string>());
    }

    internal static async Task<string[]> NotReady(HttpClient client)
    {
        var body = await (await client.GetAsync("/readyz")).ShouldBe(HttpStatusCode.ServiceUnavailable, "not_ready");
        return body["not_ready"]!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
    }
}

public sealed class ReadinessWithoutKeyTests(NoKeyApp app) : IClassFixture<NoKeyApp>
{
    [Fact]
    public async Task Without_a_usable_key_the_node_is_not_ready_and_says_key_ring()
    {
        Assert.Equal(["key_ring"], await ReadinessTests.NotReady(app.CreateClient()));
        var body = await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.ServiceUnavailable, "not_ready");
        Assert.Equal("ok", body["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.Contains("key_ring", body["detail"]!.GetValue<string>());
        // Alive all the same: liveness does not depend on the key.
        await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class ReadinessWithDeadDatabaseTests(DeadDatabaseApp app) : IClassFixture<DeadDatabaseApp>
{
    [Fact]
    public async Task With_PostgreSQL_unreachable_the_node_is_not_ready_and_says_database_but_stays_alive()
    {
        Assert.Equal(["database", "migrations"], await ReadinessTests.NotReady(app.CreateClient()));
        var body = await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.ServiceUnavailable, "not_ready");
        Assert.Equal("unreachable", body["checks"]!["database"]!["detail"]!.GetValue<string>());
        Assert.Equal("ok", body["checks"]!["key_ring"]!["status"]!.GetValue<string>());
        // Nothing about the server (host, port, user) is told to an unauthenticated caller.
        Assert.DoesNotContain("127.0.0.1", body.ToJsonString());
        Assert.DoesNotContain("nobody", body.ToJsonString());
        await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
    }
}

/// <summary>Each test owns its node and database, and breaks them.</summary>
public sealed class ReadinessAfterStartTests
{
    [Fact]
    public async Task A_database_that_goes_away_after_the_start_makes_the_node_not_ready()
    {
        var app = new SwitchboardApp();
        await ((IAsyncLifetime)app).InitializeAsync();
        try
        {
            await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.OK);
            await MakeUnreachable(app.Database);
            Assert.Contains("database", await ReadinessTests.NotReady(app.CreateClient()));
            await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_migration_this_build_knows_but_the_database_lacks_makes_the_node_not_ready()
    {
        var app = new SwitchboardApp();
        await ((IAsyncLifetime)app).InitializeAsync();
        try
        {
            await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.OK);
            await app.WriteDbAsync(async db =>
            {
                var last = db.Database.GetMigrations().Last();
                return await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = {0}", last);
            });
            Assert.Equal(["migrations"], await ReadinessTests.NotReady(app.CreateClient()));
            var body = await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.ServiceUnavailable, "not_ready");
            Assert.Equal("1 pending", body["checks"]!["migrations"]!["detail"]!.GetValue<string>());
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }

    /// <summary>PostgreSQL: the database is dropped (its sessions ended). SQLite: the file is no longer a database.</summary>
    private static async Task MakeUnreachable(TestDatabase database)
    {
        if (database.Provider == "postgres")
        {
            var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
            var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
            await using var conn = new NpgsqlConnection(admin.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE \"{name}\" WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
            return;
        }
        var file = new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        SqliteConnection.ClearAllPools();
        // Overwritten in place (the node's background pollers may open the file at any moment; a deleted file is re-created).
        await File.WriteAllBytesAsync(file, new byte[8192]);
        foreach (var f in new[] { file + "-wal", file + "-shm" })
            try { File.Delete(f); } catch (IOException) { }
    }
}
