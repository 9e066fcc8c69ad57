using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Switchboard.Store;

public sealed class SqliteDb(DbContextOptions<SqliteDb> options) : SwitchboardDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        // SQLite keeps DateTime as text without a kind; every timestamp we write is UTC.
        c.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        c.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
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
