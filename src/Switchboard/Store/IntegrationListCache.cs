using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Switchboard.Store;

/// <summary>
/// Serialized integration-list pages, cached per node for <see cref="SwitchboardOptions.ListCacheTtl"/>. A write on
/// this node drops its account's pages at once (see <see cref="ListCacheInvalidator"/>); a write on another node is
/// seen when the page expires. Each entry remembers the account generation it was built under, so a page built while
/// a write was saving is never served after that write.
/// </summary>
public sealed class IntegrationListCache(IMemoryCache cache, IOptions<SwitchboardOptions> options)
{
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);

    private sealed record Entry(long Generation, byte[] Body);

    public bool Enabled => options.Value.ListCacheTtl > TimeSpan.Zero;

    public long Generation(string accountId) => _generations.GetValueOrDefault(accountId);

    public void Invalidate(string accountId) => _generations.AddOrUpdate(accountId, 1, (_, g) => g + 1);

    public byte[]? Find(string key, string accountId) =>
        Enabled && cache.TryGetValue(key, out Entry? e) && e!.Generation == Generation(accountId) ? e.Body : null;

    public void Store(string key, long generation, byte[] body)
    {
        if (!Enabled) return;
        cache.Set(key, new Entry(generation, body), new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = options.Value.ListCacheTtl,
            Size = 1 + body.Length / 4096,
        });
    }
}

/// <summary>
/// Drops cached list pages of every account whose integrations, secrets or custom providers a save changes:
/// before the save (pages built meanwhile carry the new generation) and after it (and so are dropped too).
/// </summary>
public sealed class ListCacheInvalidator(IntegrationListCache cache) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<System.Data.Common.DbTransaction, HashSet<string>> _committing = new();
    private static readonly HashSet<Type> Watched = [typeof(Integration), typeof(IntegrationSecret), typeof(CustomProvider)];
    private readonly ConditionalWeakTable<DbContext, HashSet<string>> _saving = new();

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Before(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Before(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        After(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        After(eventData.Context);
        return result;
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        After(eventData.Context);
        return Task.CompletedTask;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => After(eventData.Context);

    private void Before(DbContext? context)
    {
        if (context is null) return;
        var accounts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Unchanged or EntityState.Detached || !Watched.Contains(entry.Metadata.ClrType)) continue;
            if (entry.Property("AccountId").CurrentValue is string accountId) accounts.Add(accountId);
        }
        foreach (var accountId in accounts) cache.Invalidate(accountId);
        _saving.AddOrUpdate(context, accounts);
    }

    private void After(DbContext? context)
    {
        if (context is null || !_saving.TryGetValue(context, out var accounts)) return;
        _saving.Remove(context);
        foreach (var accountId in accounts) cache.Invalidate(accountId);
        // Inside a caller's transaction the change is not visible to others until the commit: drop the pages again then.
        if (context.Database.CurrentTransaction?.GetDbTransaction() is { } transaction)
            _committing.GetOrCreateValue(transaction).UnionWith(accounts);
    }

    /// <summary>For writes made with plain SQL inside <paramref name="transaction"/>: drops the account's pages now and at its commit.</summary>
    public void DropAtCommit(System.Data.Common.DbTransaction transaction, string accountId)
    {
        cache.Invalidate(accountId);
        _committing.GetOrCreateValue(transaction).Add(accountId);
    }

    public void TransactionCommitted(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData) => Committed(transaction);

    public Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Committed(transaction);
        return Task.CompletedTask;
    }

    private void Committed(System.Data.Common.DbTransaction transaction)
    {
        if (!_committing.TryGetValue(transaction, out var accounts)) return;
        _committing.Remove(transaction);
        foreach (var accountId in accounts) cache.Invalidate(accountId);
    }
}
