using System.Collections.Concurrent;

namespace Switchboard.Store;

/// <summary>
/// Per node, a counter per account that every write changing what the account's catalog shows moves on (an install,
/// a lifecycle change, a custom provider): caches of such views (the integration-list pages, the account's custom
/// providers) keep the value they were built under and are stale once it has moved. A write moves it before it runs
/// (a view built meanwhile carries the new value) and again once it is committed (so is dropped too).
/// Other nodes see a write when their cached views expire.
/// </summary>
public sealed class AccountChanges
{
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

    public long Of(string accountId) => _versions.GetValueOrDefault(accountId);

    public void Bump(string accountId) => _versions.AddOrUpdate(accountId, 1, (_, v) => v + 1);

    /// <summary>The write in <paramref name="tx"/> changes the account: now, and again at its commit.</summary>
    public void Changed(StoreTransaction tx, string accountId)
    {
        Bump(accountId);
        tx.OnCommitted(() => Bump(accountId));
    }
}
