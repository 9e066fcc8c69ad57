using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Switchboard.Store;

/// <summary>
/// Plain SQL for a hot path that skips EF's change tracking, spelled from the EF model itself: table and column names,
/// identifier quoting and parameter values (e.g. SQLite's Guid and DateTime text forms) all come from the mapping EF
/// uses, so this SQL cannot drift from what EF reads and writes.
/// </summary>
public sealed class ModelSql
{
    private static readonly ConditionalWeakTable<IModel, ModelSql> Cache = new();

    private readonly IModel _model;
    private readonly ISqlGenerationHelper _sql;

    private ModelSql(IModel model, ISqlGenerationHelper sql, bool isSqlite)
    {
        _model = model;
        _sql = sql;
        IsSqlite = isSqlite;
    }

    public static ModelSql For(DbContext db) =>
        Cache.GetValue(db.Model, m => new ModelSql(m, db.GetService<ISqlGenerationHelper>(), db.Database.IsSqlite()));

    public bool IsSqlite { get; }

    public string Table<T>() => TableOf(Entity<T>());

    public string Column<T>(string property) => _sql.DelimitIdentifier(ColumnName(Property<T>(property)));

    /// <summary>Adds parameter <paramref name="name"/> holding <paramref name="value"/> as EF would store that property.</summary>
    public void Bind<T>(DbCommand command, string name, string property, object? value)
    {
        var p = Property<T>(property);
        command.Parameters.Add(((RelationalTypeMapping)p.GetRelationalTypeMapping()).CreateParameter(command, name, value, p.IsNullable));
    }

    /// <summary>Appends an INSERT of every mapped property of <paramref name="entity"/>; its parameters are named @{prefix}{n}.</summary>
    /// <param name="valueSql">Per property name, an SQL expression stored instead of the bare parameter ({0} stands for it).</param>
    public void AppendInsert<T>(StringBuilder sql, DbCommand command, T entity, string prefix,
        IReadOnlyDictionary<string, string>? valueSql = null) where T : class
    {
        var shape = InsertShapeFor<T>();
        var names = shape.NamesFor(prefix);
        sql.Append(shape.Head);
        for (var i = 0; i < names.Length; i++)
        {
            sql.Append(i == 0 ? "" : ", ");
            if (valueSql?.GetValueOrDefault(shape.Properties[i].Name) is { } expression) sql.AppendFormat(CultureInfo.InvariantCulture, expression, names[i]);
            else sql.Append(names[i]);
        }
        sql.Append(");\n");
        BindInsert(command, entity, prefix);
    }

    /// <summary>The text <see cref="AppendInsert"/> writes for <typeparamref name="T"/> without value expressions, built once per prefix.</summary>
    public string InsertText<T>(string prefix) where T : class => InsertShapeFor<T>().TextFor(prefix);

    /// <summary>The parameters of <see cref="InsertText{T}"/> (and of <see cref="AppendInsert"/>) for <paramref name="entity"/>, added to <paramref name="command"/>.</summary>
    public void BindInsert<T>(DbCommand command, T entity, string prefix) where T : class
    {
        var shape = InsertShapeFor<T>();
        var names = shape.NamesFor(prefix);
        for (var i = 0; i < names.Length; i++)
            command.Parameters.Add(shape.Mappings[i].CreateParameter(command, names[i], shape.Values[i](entity), shape.Nullable[i]));
    }

    private InsertShape<T> InsertShapeFor<T>() where T : class => (InsertShape<T>)_inserts.GetOrAdd(typeof(T), _ => InsertShapeOf<T>(Entity<T>()));

    /// <summary>The SQLSTATE a statement made by <see cref="OneRowOrRaise"/> raises: PostgreSQL's division_by_zero.</summary>
    public const string StaleSqlState = "22012";

    /// <summary>
    /// An UPDATE or DELETE (text ending in ";\n") that touches a row or raises, for a one-command write
    /// (<see cref="StoreTransaction.CommitsWithCommand"/>) on PostgreSQL: there a statement that touched nothing cannot be
    /// found out after the command, which has committed by then, so the statement itself must fail the command. Plain SQL
    /// has no RAISE; a division by the count of changed rows is the standard way, and nothing else in such a command divides.
    /// The count is not a constant, so the planner cannot fold the division away.
    /// </summary>
    public string OneRowOrRaise(string statement)
    {
        if (IsSqlite) throw new InvalidOperationException("SQLite writes run in the writer's transaction; check the rows a command touched instead.");
        var body = statement.TrimEnd().TrimEnd(';');
        return $"WITH changed AS ({body} RETURNING 1) SELECT 1 / count(*) FROM changed;\n";
    }

    /// <summary>Every mapped column of <typeparamref name="T"/> qualified by <paramref name="alias"/>, in the order <see cref="Read{T}"/> reads.</summary>
    public string Columns<T>(string alias) where T : class =>
        string.Join(", ", ReadShapeOf<T>().Columns.Select(c => $"{alias}.{c}"));

    /// <summary>
    /// A <typeparamref name="T"/> from the columns <see cref="Columns{T}"/> listed, starting at <paramref name="offset"/>;
    /// each value converted as EF converts it (e.g. SQLite's UTC timestamps). Null when the first column (the key) is null,
    /// as for the missing side of a LEFT JOIN.
    /// </summary>
    public T? Read<T>(DbDataReader reader, int offset) where T : class =>
        ((Func<DbDataReader, int, T?>)_readers.GetOrAdd(typeof(T), _ => CompileReader<T>(ReadShapeOf<T>())))(reader, offset);

    private static readonly MethodInfo IsDBNull = typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!;

    private static MethodInfo Getter(Type type) =>
        type == typeof(string) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetString), [typeof(int)])!
        : type == typeof(Guid) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetGuid), [typeof(int)])!
        : type == typeof(DateTime) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetDateTime), [typeof(int)])!
        : type == typeof(int) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetInt32), [typeof(int)])!
        : type == typeof(long) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetInt64), [typeof(int)])!
        : type == typeof(bool) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetBoolean), [typeof(int)])!
        : type == typeof(byte[]) ? typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetFieldValue), [typeof(int)])!.MakeGenericMethod(typeof(byte[]))
        : throw new NotSupportedException($"ModelSql.Read has no reader for {type.Name}.");

    /// <summary>
    /// The materializer of <typeparamref name="T"/>, compiled once: each column read by its typed getter, run through
    /// EF's own converter expression, and assigned to its property, as EF's materializer does. It replaced boxing every
    /// value and setting it by reflection (PropertyInfo.SetValue and its checks were 1.5% of a credential read's CPU in
    /// the bench's perf profile of 2026-12-03, a fifth of the whole row read).
    /// </summary>
    private static Func<DbDataReader, int, T?> CompileReader<T>(ReadShape shape) where T : class
    {
        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var offset = Expression.Parameter(typeof(int), "offset");
        var entity = Expression.Variable(typeof(T), "entity");
        // `required` is the compiler's rule; every required member is set from its column below.
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(typeof(T))) };
        for (var i = 0; i < shape.Properties.Length; i++)
        {
            var property = shape.Properties[i];
            var ordinal = Expression.Add(offset, Expression.Constant(i));
            Expression value = Expression.Call(reader, Getter(shape.ProviderTypes[i]), ordinal);
            if (shape.Converters[i] is { } converter)
            {
                var convert = converter.ConvertFromProviderExpression;
                if (value.Type != convert.Parameters[0].Type) value = Expression.Convert(value, convert.Parameters[0].Type);
                value = Expression.Invoke(convert, value);
            }
            if (value.Type != property.PropertyType) value = Expression.Convert(value, property.PropertyType);
            // A NULL column leaves the property at its type's default, as setting null by reflection did.
            value = Expression.Condition(Expression.Call(reader, IsDBNull, ordinal), Expression.Default(property.PropertyType), value);
            body.Add(Expression.Assign(Expression.Property(entity, property), value));
        }
        body.Add(entity);
        var read = Expression.Condition(Expression.Call(reader, IsDBNull, offset), Expression.Constant(null, typeof(T)),
            Expression.Block(typeof(T), [entity], body));
        return Expression.Lambda<Func<DbDataReader, int, T?>>(read, reader, offset).Compile();
    }

    private sealed record ReadShape(string[] Columns, PropertyInfo[] Properties, Type[] ProviderTypes,
        Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter?[] Converters);

    private readonly ConcurrentDictionary<Type, ReadShape> _reads = new();
    private readonly ConcurrentDictionary<Type, Delegate> _readers = new();

    private ReadShape ReadShapeOf<T>() where T : class => _reads.GetOrAdd(typeof(T), _ =>
    {
        var type = Entity<T>();
        // The key first: Read takes a null key for "no row".
        var properties = type.FindPrimaryKey()!.Properties.Concat(type.GetProperties().Where(p => !p.IsPrimaryKey())).ToArray();
        var mappings = properties.Select(p => (RelationalTypeMapping)p.GetRelationalTypeMapping()).ToArray();
        return new ReadShape(
            properties.Select(p => _sql.DelimitIdentifier(ColumnName(p))).ToArray(),
            properties.Select(p => p.PropertyInfo ?? throw new InvalidOperationException($"{type.DisplayName()}.{p.Name} is a shadow property; Read needs CLR properties.")).ToArray(),
            mappings.Select(m => Nullable.GetUnderlyingType(m.Converter?.ProviderClrType ?? m.ClrType) ?? m.Converter?.ProviderClrType ?? m.ClrType).ToArray(),
            mappings.Select(m => m.Converter).ToArray());
    });

    /// <summary>
    /// What an INSERT of one entity type needs, built once: its head, per property a compiled getter (typed read, one box)
    /// and the type mapping, and the parameter names per prefix. Reflection (PropertyInfo.GetValue) and formatting each
    /// name were 0.6% of an install's CPU in the perf profile of 2026-12-03 (on SQLite on the writer thread, which every write waits for).
    /// </summary>
    private sealed record InsertShape<T>(string Head, PropertyInfo[] Properties, Func<T, object?>[] Values, RelationalTypeMapping[] Mappings, bool[] Nullable)
    {
        private readonly ConcurrentDictionary<string, string[]> _names = new(StringComparer.Ordinal);

        // Prefixes are few and fixed ("e", "i", "s0_", "e0_" … one per batch slot), so the map stays small.
        public string[] NamesFor(string prefix) => _names.GetOrAdd(prefix, p =>
            Enumerable.Range(0, Properties.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"@{p}{i}")).ToArray());

        private readonly ConcurrentDictionary<string, string> _texts = new(StringComparer.Ordinal);

        public string TextFor(string prefix) => _texts.GetOrAdd(prefix, p => Head + string.Join(", ", NamesFor(p)) + ");\n");
    }

    // Values are InsertShape<T> for their key T.
    private readonly ConcurrentDictionary<Type, object> _inserts = new();

    private InsertShape<T> InsertShapeOf<T>(IEntityType type)
    {
        var properties = type.GetProperties().ToArray();
        var head = $"INSERT INTO {TableOf(type)} ({string.Join(", ", properties.Select(p => _sql.DelimitIdentifier(ColumnName(p))))}) VALUES (";
        var clr = properties.Select(p => p.PropertyInfo ?? throw new InvalidOperationException($"{type.DisplayName()}.{p.Name} is a shadow property; AppendInsert needs CLR properties.")).ToArray();
        return new InsertShape<T>(head, clr, clr.Select(CompileGetter<T>).ToArray(),
            properties.Select(p => (RelationalTypeMapping)p.GetRelationalTypeMapping()).ToArray(),
            properties.Select(p => p.IsNullable).ToArray());
    }

    private static Func<T, object?> CompileGetter<T>(PropertyInfo property)
    {
        var entity = Expression.Parameter(typeof(T), "entity");
        return Expression.Lambda<Func<T, object?>>(Expression.Convert(Expression.Property(entity, property), typeof(object)), entity).Compile();
    }

    private string TableOf(IEntityType type) => _sql.DelimitIdentifier(type.GetTableName()!, type.GetSchema());

    private IEntityType Entity<T>() =>
        _model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");

    private IProperty Property<T>(string property) =>
        Entity<T>().FindProperty(property) ?? throw new InvalidOperationException($"{typeof(T).Name}.{property} is not mapped.");

    private static string ColumnName(IProperty p) =>
        p.GetColumnName(StoreObjectIdentifier.Table(p.DeclaringType.GetTableName()!, p.DeclaringType.GetSchema()))
        ?? throw new InvalidOperationException($"{p.DeclaringType.DisplayName()}.{p.Name} has no column.");
}
