using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Switchboard.Store;

public static class StoreServices
{
    /// <summary>
    /// Registers the context of the configured provider (pooled; a request's <see cref="SwitchboardDb"/> reads) and the one
    /// <see cref="IStoreWriter"/> of that database (every write), plus the store's services.
    /// </summary>
    public static IServiceCollection AddSwitchboardDb(this IServiceCollection services, DatabaseOptions options)
    {
        switch (options.Provider.ToLowerInvariant())
        {
            case "sqlite":
                var sqlite = new SqliteConnectionStringBuilder(options.ConnectionString);
                if (sqlite.DataSource is { Length: > 0 } file && file != ":memory:" && !sqlite.DataSource.StartsWith("file:", StringComparison.Ordinal))
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
                sqlite.DefaultTimeout = sqlite.DefaultTimeout is 30 ? 10 : sqlite.DefaultTimeout;
                services.AddPooledDbContextFactory<SqliteDb>((sp, o) => o.UseSqlite(sqlite.ConnectionString).AddInterceptors(sp.GetServices<IInterceptor>()).ConfigureWarnings(SkipStartupModelDiff));
                services.AddScoped<SwitchboardDb>(sp => sp.GetRequiredService<IDbContextFactory<SqliteDb>>().CreateDbContext());
                services.AddSingleton(sp => new SqliteStoreWriter(sqlite.ConnectionString, sp.GetServices<IInterceptor>()));
                services.AddSingleton<IStoreWriter>(sp => sp.GetRequiredService<SqliteStoreWriter>());
                services.AddSingleton(_ => new SqliteKeptReads(sqlite.ConnectionString));
                services.AddSingleton(sp => new IntegrationReads(sp.GetRequiredService<SqliteKeptReads>()));
                break;
            case "postgres" or "postgresql":
                var pg = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                // An unreachable database must answer 503 quickly, not hang a request for the default 15 s.
                if (!options.ConnectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) pg.Timeout = 5;
                // Unless the operator says otherwise: statements used twice are prepared on their connection (parsed and
                // planned once, not per query), and a connection going back to the pool is not reset, since that reset
                // (DISCARD ALL) drops those prepared statements. Nothing here keeps session state (no SET, temp tables,
                // advisory locks, LISTEN) for a reset to clear.
                if (!options.ConnectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
                    && !options.ConnectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase)) pg.MaxAutoPrepare = 64;
                if (!options.ConnectionString.Contains("Reset", StringComparison.OrdinalIgnoreCase)) pg.NoResetOnClose = true;
                services.AddPooledDbContextFactory<PostgresDb>((sp, o) => o.UseNpgsql(pg.ConnectionString).AddInterceptors(sp.GetServices<IInterceptor>()).ConfigureWarnings(SkipStartupModelDiff));
                services.AddScoped<SwitchboardDb>(sp => sp.GetRequiredService<IDbContextFactory<PostgresDb>>().CreateDbContext());
                services.AddSingleton<IStoreWriter, PostgresStoreWriter>();
                services.AddSingleton(_ => new IntegrationReads());
                break;
            default:
                throw new InvalidOperationException($"Switchboard:Database:Provider must be 'sqlite' or 'postgres', not '{options.Provider}'.");
        }
        services.AddSingleton<AccountChanges>();
        services.AddSingleton<IntegrationStore>();
        return services;
    }

    /// <summary>
    /// Applies pending migrations (EF takes a database lock, so several nodes may start at once). A database already up
    /// to date is left alone after one read of the history table, without Migrate's lock, history-table DDL and
    /// transaction round trips.
    /// </summary>
    public static async Task MigrateAsync(SwitchboardDb db, CancellationToken ct = default)
    {
        if ((await db.Database.GetPendingMigrationsAsync(ct)).Any()) await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }

    /// <summary>
    /// EF's Migrate compares the model with the last migration's snapshot before it runs (PendingModelChangesWarning),
    /// which builds a second, design-time copy of the model from OnModelCreating beside the compiled one
    /// (Store/CompiledModels), kept for the process's life; the suite checks the same once
    /// (Store/ModelTests.The_migrations_capture_the_whole_model), so a node does not.
    /// </summary>
    private static void SkipStartupModelDiff(WarningsConfigurationBuilder w) => w.Ignore(RelationalEventId.PendingModelChangesWarning);
}
