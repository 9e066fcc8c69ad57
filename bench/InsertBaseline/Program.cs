using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

// Usage: InsertBaseline --db PATH [--writers 16] [--duration 15] [--warmup 1]
// N writers, each with its own connection to the same SQLite file, each inserting one row per transaction
// into a scratch table. Prints one "BASELINE key=value ..." line for bench/run.sh.
var db = Option("--db") ?? throw new ArgumentException("--db PATH is required");
var writers = int.Parse(Option("--writers") ?? "16");
var duration = double.Parse(Option("--duration") ?? "15", System.Globalization.CultureInfo.InvariantCulture);
var warmup = double.Parse(Option("--warmup") ?? "1", System.Globalization.CultureInfo.InvariantCulture);

// As the service opens it (Data/DataServices.cs): the file name plus a 10 s busy timeout, pooled, no other keywords.
var connectionString = new SqliteConnectionStringBuilder { DataSource = db, DefaultTimeout = 10 }.ConnectionString;

string journalMode, sqliteVersion;
using (var setup = new SqliteConnection(connectionString))
{
    setup.Open();
    // The service runs this once at startup (DataServices.MigrateAsync); it persists in the file.
    journalMode = Scalar(setup, "PRAGMA journal_mode=WAL;");
    sqliteVersion = Scalar(setup, "SELECT sqlite_version();");
    Exec(setup, """
        DROP TABLE IF EXISTS bench_insert_baseline;
        CREATE TABLE bench_insert_baseline (
            id TEXT NOT NULL PRIMARY KEY,
            account_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL);
        """);
}
var efSynchronous = SynchronousThroughEfCore(connectionString);

var clock = Stopwatch.StartNew();
var countFrom = TimeSpan.FromSeconds(warmup);
var stopAt = countFrom + TimeSpan.FromSeconds(duration);
var counts = new long[writers];
var errors = new long[writers];
var synchronous = new string[writers];
string? firstError = null;
var threads = Enumerable.Range(0, writers).Select(w => new Thread(() => Write(w)) { IsBackground = true }).ToList();
threads.ForEach(t => t.Start());
// CPU time of this process over the counted window only (warm-up excluded).
var wait = countFrom - clock.Elapsed;
if (wait > TimeSpan.Zero) Thread.Sleep(wait);
var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
threads.ForEach(t => t.Join());
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;

var rows = counts.Sum();
var distinctSync = string.Join("/", synchronous.Distinct());
Console.WriteLine(FormattableString.Invariant(
    $"BASELINE rows={rows} seconds={duration:0.###} rows_per_s={rows / duration:0.0} cpu_ms_per_row={(rows > 0 ? cpu.TotalMilliseconds / rows : 0):0.000} writers={writers} errors={errors.Sum()} synchronous={distinctSync} ef_synchronous={efSynchronous} journal_mode={journalMode} sqlite_version={sqliteVersion}"));

if (firstError is not null) Console.WriteLine($"BASELINE_ERROR {errors.Sum()} failed transactions, first: {firstError}");

using (var cleanup = new SqliteConnection(connectionString))
{
    cleanup.Open();
    Exec(cleanup, "DROP TABLE IF EXISTS bench_insert_baseline;");
}
return 0;

void Write(int w)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    synchronous[w] = Scalar(connection, "PRAGMA synchronous;");
    using var insert = connection.CreateCommand();
    insert.CommandText = "INSERT INTO bench_insert_baseline (id, account_id, payload, created_at) VALUES ($id, $account, $payload, $at);";
    var id = insert.Parameters.Add("$id", SqliteType.Text);
    insert.Parameters.AddWithValue("$account", $"acc_baseline{w:00000000}");
    var payload = insert.Parameters.Add("$payload", SqliteType.Text);
    var at = insert.Parameters.Add("$at", SqliteType.Text);
    while (clock.Elapsed < stopAt)
    {
        try
        {
            // BeginTransaction() is BEGIN IMMEDIATE, as in EF Core's SaveChanges.
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            id.Value = Guid.CreateVersion7().ToString();
            payload.Value = $$"""{"provider":"stripe","writer":{{w}},"n":{{counts[w]}}}""";
            at.Value = DateTime.UtcNow.ToString("O");
            insert.ExecuteNonQuery();
            tx.Commit();
            var done = clock.Elapsed;
            if (done >= countFrom && done <= stopAt) counts[w]++;
        }
        catch (SqliteException e)
        {
            errors[w]++;
            Interlocked.CompareExchange(ref firstError, e.Message, null);
        }
    }
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string Scalar(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
}

static void Exec(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

// What a connection opened by EF Core's UseSqlite (the service's path) reports, to show nothing on that path changes it.
static string SynchronousThroughEfCore(string connectionString)
{
    using var context = new ProbeContext(new DbContextOptionsBuilder<ProbeContext>().UseSqlite(connectionString).Options);
    context.Database.OpenConnection();
    try
    {
        return Scalar((SqliteConnection)context.Database.GetDbConnection(), "PRAGMA synchronous;");
    }
    finally
    {
        context.Database.CloseConnection();
    }
}

internal sealed class ProbeContext(DbContextOptions<ProbeContext> options) : DbContext(options);
