using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Switchboard.Store;

public sealed class SqliteDb(DbContextOptions<SqliteDb> options) : SwitchboardDb(options)
{
    // SQLite has one writer per database file. Writers of this process wait their turn here, without a thread, instead of
    // colliding on the file lock, where the driver's busy handler sleeps and retries (blocking a thread each).
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WriteGates = new(StringComparer.Ordinal);

    private SemaphoreSlim WriteGate => WriteGateFor(Database.GetConnectionString() ?? "");

    /// <summary>The write gate of the database file this connection string opens (shared with <see cref="SqliteGroupCommit"/>).</summary>
    public static SemaphoreSlim WriteGateFor(string connectionString) => WriteGates.GetOrAdd(connectionString, _ => new SemaphoreSlim(1, 1));

    private bool _holdsWriteLock;

    /// <summary>This context holds the file's write gate or has a transaction open (and so may hold the file lock).</summary>
    public bool HoldsWriteLock => _holdsWriteLock || Database.CurrentTransaction is not null;

    /// <summary>Holds this file's write gate across a read-modify-write, so concurrent writers queue instead of conflicting.</summary>
    public override async ValueTask<IAsyncDisposable> WriteLockAsync(CancellationToken ct)
    {
        // Inside a transaction this context already holds (or contends for) the file lock itself; waiting on the
        // gate there could wait on a writer that is waiting on us.
        if (_holdsWriteLock || Database.CurrentTransaction is not null) return NoLock.Instance;
        var gate = WriteGate;
        await gate.WaitAsync(ct);
        _holdsWriteLock = true;
        return new Release(this, gate);
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        // Inside a caller's transaction the file lock is already held (or will be) by that transaction.
        if (_holdsWriteLock || Database.CurrentTransaction is not null || !ChangeTracker.HasChanges())
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        await using (await WriteLockAsync(cancellationToken))
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        if (_holdsWriteLock || Database.CurrentTransaction is not null || !ChangeTracker.HasChanges()) return base.SaveChanges(acceptAllChangesOnSuccess);
        var gate = WriteGate;
        gate.Wait();
        _holdsWriteLock = true;
        try { return base.SaveChanges(acceptAllChangesOnSuccess); }
        finally
        {
            _holdsWriteLock = false;
            gate.Release();
        }
    }

    private sealed class Release(SqliteDb db, SemaphoreSlim gate) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            db._holdsWriteLock = false;
            gate.Release();
            return ValueTask.CompletedTask;
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        // SQLite keeps DateTime as text without a kind; every timestamp we write is UTC.
        c.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        c.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

public sealed class SqliteDbDesignFactory : IDesignTimeDbContextFactory<SqliteDb>
{
    public SqliteDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDb>()
            .UseSqlite("Data Source=design.db", o => o.MigrationsAssembly(typeof(SqliteDb).Assembly.FullName))
            .Options);
}
