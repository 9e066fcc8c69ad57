using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Switchboard.Store;

public sealed class PostgresDb(DbContextOptions<PostgresDb> options) : SwitchboardDb(options);

public sealed class PostgresDbDesignFactory : IDesignTimeDbContextFactory<PostgresDb>
{
    public PostgresDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDb>()
            .UseNpgsql("Host=127.0.0.1;Database=design")
            .Options);
}
