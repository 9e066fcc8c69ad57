using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Sealing;

/// <summary>One sealed column of a table: its name, how it is read, and how its AAD is derived from the row.</summary>
public sealed record SealedColumn<T>(string Name, Expression<Func<T, byte[]?>> Value, Func<T, SecretContext> Aad) where T : class
{
    private readonly Func<T, byte[]?> _read = Value.Compile();

    /// <summary>The entity property the column maps.</summary>
    public string Property => ((MemberExpression)Value.Body).Member.Name;

    public byte[]? Read(T row) => _read(row);

    public byte[] Seal(SecretBox box, T row, string plaintext) => box.EncryptString(plaintext, Aad(row));

    public string Open(SecretBox box, T row) =>
        box.DecryptString(Read(row) ?? throw new InvalidOperationException($"{Name} is not set"), Aad(row));
}

/// <summary>What the rewrapper needs of a table with sealed columns, whatever the table.</summary>
public interface ISealedTable
{
    string Table { get; }
    Type Entity { get; }
    /// <summary>The entity properties that hold ciphertexts.</summary>
    IReadOnlyList<string> Properties { get; }

    /// <summary>Re-wraps up to <paramref name="maxRows"/> rows (all when null) whose columns are on an old key; returns how many rows.</summary>
    Task<int> RewrapAsync(SwitchboardDb db, IStoreWriter writer, SecretBox box, int batchSize, int? maxRows, CancellationToken ct);

    /// <summary>Rows with a column still on another key than <paramref name="activeKeyId"/>.</summary>
    Task<int> CountOnOldKeysAsync(SwitchboardDb db, string activeKeyId, int batchSize, CancellationToken ct);
}

/// <summary>
/// A table's sealed columns, declared once (<see cref="SealedFields"/>). Each row is re-wrapped by one compare-and-set
/// on the old ciphertexts themselves, so a concurrent write of a new value always wins, and the run can be
/// interrupted, repeated, or run on several nodes at once. <paramref name="KeyId"/> is the key-id column where the
/// table has one (its rows are then found by an indexed query); otherwise the key id is read from each ciphertext.
/// A row that <paramref name="Busy"/> matches (e.g. a connection being refreshed) is left for a later run.
/// </summary>
public sealed class SealedTable<T>(string table, IReadOnlyList<SealedColumn<T>> columns,
    Expression<Func<T, string>>? keyId = null, Expression<Func<T, bool>>? busy = null) : ISealedTable
    where T : class, IAccountRow
{
    private readonly Func<T, bool> _isBusy = busy?.Compile() ?? (_ => false);

    public string Table => table;
    public Type Entity => typeof(T);
    public IReadOnlyList<string> Properties => columns.Select(c => c.Property).ToArray();
    public IReadOnlyList<SealedColumn<T>> SealedColumns => columns;

    public async Task<int> RewrapAsync(SwitchboardDb db, IStoreWriter writer, SecretBox box, int batchSize, int? maxRows, CancellationToken ct)
    {
        var active = box.Ring.ActiveKeyId!;
        var done = 0;
        Guid? after = null;
        while (maxRows is null || done < maxRows)
        {
            var page = await PageAsync(db, active, after, batchSize, ct);
            if (page.Count == 0) break;
            var due = page.Where(r => !_isBusy(r) && OnOldKey(r, active)).Take(maxRows is null ? int.MaxValue : maxRows.Value - done).ToList();
            if (due.Count > 0)
                done += await writer.WriteAsync(async (tx, token) =>
                {
                    var rewrapped = 0;
                    foreach (var row in due) rewrapped += await RewrapRowAsync(tx.Db, box, row, active, token);
                    return rewrapped;
                }, ct);
            after = page[^1].Id;
        }
        return done;
    }

    public async Task<int> CountOnOldKeysAsync(SwitchboardDb db, string activeKeyId, int batchSize, CancellationToken ct)
    {
        if (keyId is not null) return await db.Set<T>().AsNoTracking().Where(KeyIdIsNot(activeKeyId)).CountAsync(ct);
        var count = 0;
        Guid? after = null;
        while (true)
        {
            var page = await PageAsync(db, activeKeyId, after, batchSize, ct);
            if (page.Count == 0) return count;
            count += page.Count(r => OnOldKey(r, activeKeyId));
            after = page[^1].Id;
        }
    }

    /// <summary>Rows that have a sealed value (on an old key, where a key-id column says so), in id order after <paramref name="after"/>.</summary>
    private Task<List<T>> PageAsync(SwitchboardDb db, string active, Guid? after, int batchSize, CancellationToken ct)
    {
        var query = db.Set<T>().AsNoTracking().Where(AnySealed());
        if (keyId is not null) query = query.Where(KeyIdIsNot(active));
        if (after is { } a) query = query.Where(r => r.Id.CompareTo(a) > 0);
        return query.OrderBy(r => r.Id).Take(batchSize).ToListAsync(ct);
    }

    private bool OnOldKey(T row, string active) =>
        columns.Any(c => c.Read(row) is { } sealedValue && SecretBox.KeyIdOf(sealedValue) != active);

    /// <summary>One statement per row: every column on an old key re-wrapped, each compared with the value read.</summary>
    private async Task<int> RewrapRowAsync(SwitchboardDb db, SecretBox box, T row, string active, CancellationToken ct)
    {
        var (id, accountId) = (row.Id, row.AccountId);
        var query = db.Set<T>().Where(r => r.Id == id && r.AccountId == accountId);
        if (busy is not null) query = query.Where(Not(busy));
        var changes = new List<(SealedColumn<T> Column, byte[] Value)>();
        foreach (var column in columns)
        {
            if (column.Read(row) is not { } old || SecretBox.KeyIdOf(old) == active) continue;
            query = query.Where(HasValue(column.Value, old));
            changes.Add((column, box.Rewrap(old, column.Aad(row))));
        }
        if (changes.Count == 0) return 0;
        return await query.ExecuteUpdateAsync(s =>
        {
            foreach (var (column, value) in changes) s.SetProperty(column.Value, value);
            if (keyId is not null) s.SetProperty(keyId, active);
        }, ct);
    }

    private Expression<Func<T, bool>> AnySealed()
    {
        var row = Expression.Parameter(typeof(T), "r");
        var any = columns.Select(c => (Expression)Expression.NotEqual(Rebind(c.Value, row), Expression.Constant(null, typeof(byte[]))))
            .Aggregate(Expression.OrElse);
        return Expression.Lambda<Func<T, bool>>(any, row);
    }

    private Expression<Func<T, bool>> KeyIdIsNot(string active)
    {
        var row = Expression.Parameter(typeof(T), "r");
        return Expression.Lambda<Func<T, bool>>(Expression.NotEqual(Rebind(keyId!, row), Parameter(active)), row);
    }

    private static Expression<Func<T, bool>> HasValue(Expression<Func<T, byte[]?>> column, byte[] value)
    {
        var row = Expression.Parameter(typeof(T), "r");
        return Expression.Lambda<Func<T, bool>>(Expression.Equal(Rebind(column, row), Parameter<byte[]?>(value)), row);
    }

    private static Expression<Func<T, bool>> Not(Expression<Func<T, bool>> predicate) =>
        Expression.Lambda<Func<T, bool>>(Expression.Not(predicate.Body), predicate.Parameters);

    private static Expression Rebind<TValue>(Expression<Func<T, TValue>> selector, ParameterExpression row) =>
        new Rebinder(selector.Parameters[0], row).Visit(selector.Body);

    /// <summary>A value EF Core sends as a parameter, not as a literal in the SQL text.</summary>
    private static Expression Parameter<TValue>(TValue value) => Expression.Property(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed record Box<TValue>(TValue Value);

    private sealed class Rebinder(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
