using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Switchboard.Store;
using Switchboard.Store.CompiledModels.Postgres;
using Switchboard.Store.CompiledModels.Sqlite;

namespace Switchboard.Tests.Store;

/// <summary>
/// A node runs on the compiled models in Store/CompiledModels, generated from OnModelCreating by `dotnet ef dbcontext
/// optimize`: when the model changes and they are not regenerated (scripts/ef-compiled-models.sh), this fails. (That the
/// migrations capture the model is scripts/test.sh's has-pending-model-changes check.)
/// </summary>
public sealed class ModelTests
{
    public static TheoryData<string> Providers => new() { "sqlite", "postgres" };

    [Theory]
    [MemberData(nameof(Providers))]
    public void The_compiled_model_is_the_model_OnModelCreating_builds(string provider)
    {
        using var db = Create(provider);
        // The context really runs on the generated model (else this comparison would compare a model with itself).
        Assert.IsType(provider == "sqlite" ? typeof(SqliteDbModel) : typeof(PostgresDbModel), db.Model);
        var built = db.GetService<IDesignTimeModel>().Model;
        Assert.NotSame(db.Model, built);

        var compiled = Describe(db.Model);
        var expected = Describe(built);
        Assert.True(expected.Count > 100, "the description covers the model");
        Assert.Equal(expected, compiled);
    }

    private static SwitchboardDb Create(string provider) =>
        provider == "sqlite" ? new SqliteDbDesignFactory().CreateDbContext([]) : new PostgresDbDesignFactory().CreateDbContext([]);

    /// <summary>One line per table, column, key, index and foreign key, with what the SQL and the materializer depend on.</summary>
    private static List<string> Describe(IModel model)
    {
        var lines = new List<string>();
        foreach (var e in model.GetEntityTypes().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var table = StoreObjectIdentifier.Table(e.GetTableName()!, e.GetSchema());
            lines.Add($"{e.Name} -> {table.DisplayName()}");
            foreach (var p in e.GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
                lines.Add($"  {e.ClrType.Name}.{p.Name}: column {p.GetColumnName(table)} {p.GetColumnType()} {p.ClrType.Name}"
                    + $" null={p.IsNullable} max={p.GetMaxLength()} converter={p.GetTypeMapping().Converter?.GetType().Name}"
                    + $" concurrency={p.IsConcurrencyToken} generated={p.ValueGenerated} default={p.GetDefaultValueSql()}");
            foreach (var k in e.GetKeys().OrderBy(k => k.GetName(), StringComparer.Ordinal))
                lines.Add($"  key {k.GetName()} ({Names(k.Properties)}) primary={k.IsPrimaryKey()}");
            foreach (var i in e.GetIndexes().OrderBy(i => i.GetDatabaseName(), StringComparer.Ordinal))
                lines.Add($"  index {i.GetDatabaseName()} ({Names(i.Properties)}) unique={i.IsUnique} filter={i.GetFilter()}");
            foreach (var f in e.GetForeignKeys().OrderBy(f => f.GetConstraintName(), StringComparer.Ordinal))
                lines.Add($"  fk {f.GetConstraintName()} ({Names(f.Properties)}) -> {f.PrincipalEntityType.Name} on delete {f.DeleteBehavior}");
        }
        return lines;
    }

    private static string Names(IEnumerable<IReadOnlyProperty> properties) => string.Join(", ", properties.Select(p => p.Name));
}
