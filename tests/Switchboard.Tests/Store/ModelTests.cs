using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Switchboard.Store;
using Switchboard.Store.CompiledModels.Postgres;
using Switchboard.Store.CompiledModels.Sqlite;

namespace Switchboard.Tests.Store;

/// <summary>
/// A node runs on the compiled models in Store/CompiledModels, generated from OnModelCreating by `dotnet ef dbcontext
/// optimize`, and does not compare its model with the migrations when it starts (StoreServices): both are checked here.
/// When one fails, add a migration or regenerate the compiled models (scripts/ef-compiled-models.sh).
/// </summary>
public sealed class ModelTests
{
    public static TheoryData<string> Providers => new() { "sqlite", "postgres" };

    [Theory]
    [MemberData(nameof(Providers))]
    public void The_migrations_capture_the_whole_model(string provider)
    {
        using var db = Create(provider);
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} model has changes no migration captures: add one");
    }

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
                lines.Add($"  {e.ClrType.Name}.{p.Name}: column {p.GetColumnName(table)} {p.GetColumnType()} {TypeName(p.ClrType)}"
                    + $" null={p.IsNullable} max={p.GetMaxLength()} converter={p.GetTypeMapping().Converter?.GetType().Name}"
                    + $" concurrency={p.IsConcurrencyToken} generated={p.ValueGenerated} default={p.GetDefaultValueSql()}/{p.GetDefaultValue()}"
                    + $" computed={p.GetComputedColumnSql()} precision={p.GetPrecision()},{p.GetScale()} access={p.GetPropertyAccessMode()}");
            foreach (var k in e.GetKeys().OrderBy(k => k.GetName(), StringComparer.Ordinal))
                lines.Add($"  key {k.GetName()} ({Names(k.Properties)}) primary={k.IsPrimaryKey()}");
            foreach (var i in e.GetIndexes().OrderBy(i => i.GetDatabaseName(), StringComparer.Ordinal))
                lines.Add($"  index {i.GetDatabaseName()} ({Names(i.Properties)}) unique={i.IsUnique} filter={i.GetFilter()}");
            foreach (var f in e.GetForeignKeys().OrderBy(f => f.GetConstraintName(), StringComparer.Ordinal))
                lines.Add($"  fk {f.GetConstraintName()} ({Names(f.Properties)}) -> {f.PrincipalEntityType.Name} ({Names(f.PrincipalKey.Properties)})"
                    + $" on delete {f.DeleteBehavior} unique={f.IsUnique} required={f.IsRequired}");
            foreach (var n in e.GetNavigations().OrderBy(n => n.Name, StringComparer.Ordinal))
                lines.Add($"  navigation {n.Name} -> {n.TargetEntityType.Name} collection={n.IsCollection} fk={n.ForeignKey.GetConstraintName()}");
        }
        return lines;
    }

    private static string TypeName(Type t) => Nullable.GetUnderlyingType(t) is { } inner ? inner.Name + "?" : t.Name;

    private static string Names(IEnumerable<IReadOnlyProperty> properties) => string.Join(", ", properties.Select(p => p.Name));
}
