using Npgsql;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// A fresh, real database for one fixture: a SQLite file, or a PostgreSQL database created on the server
/// named by SWITCHBOARD_TEST_PG. Which one is chosen by SWITCHBOARD_TEST_DB (sqlite by default).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Provider { get; }
    public string ConnectionString { get; }
    private readonly string? _pgName;
    private readonly string? _sqliteDir;

    public static string ProviderName => (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_DB") ?? "sqlite").ToLowerInvariant();
    public static bool IsPostgres => ProviderName == "postgres";

    private TestDatabase(string provider, string connectionString, string? pgName, string? sqliteDir)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _pgName = pgName;
        _sqliteDir = sqliteDir;
    }

    public static async Task<TestDatabase> CreateAsync()
    {
        if (!IsPostgres)
        {
            var dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            return new TestDatabase("sqlite", $"Data Source={Path.Combine(dir, "test.db")}", null, dir);
        }
        var server = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_PG")
                     ?? throw new InvalidOperationException("SWITCHBOARD_TEST_DB=postgres needs SWITCHBOARD_TEST_PG (a connection string to a role with CREATEDB)");
        var name = "sb_test_" + Guid.NewGuid().ToString("N")[..16];
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase("postgres", cs.ConnectionString, name, null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pgName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            var admin = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_PG")) { Database = "postgres", Pooling = false };
            try
            {
                await using var conn = new NpgsqlConnection(admin.ConnectionString);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_pgName}\" WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException) { /* the cluster is thrown away at the end of the run anyway */ }
        }
        if (_sqliteDir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_sqliteDir, recursive: true); } catch (IOException) { }
        }
    }
}
