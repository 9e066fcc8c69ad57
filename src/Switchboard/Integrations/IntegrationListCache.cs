using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Switchboard.Store;

namespace Switchboard.Integrations;

/// <summary>
/// Serialized integration-list pages, cached per node for <see cref="SwitchboardOptions.ListCacheTtl"/>. Each page
/// remembers the account's <see cref="AccountChanges"/> value it was built under and is served only while that value
/// holds: a write on this node (an install, a lifecycle change, a custom provider) moves it before it runs and again at
/// its commit, so a page built while a write was saving is never served after that write. A write on another node is
/// seen when the page expires.
/// Kept by hand rather than the built-in output cache on purpose: tag eviction there happens once, so a page rendered
/// while a write is saving can be stored after the eviction and served stale until its TTL; the version check here
/// refuses it.
/// </summary>
public sealed class IntegrationListCache(AccountChanges changes, IOptions<SwitchboardOptions> options) : IDisposable
{
    /// <summary>
    /// Bytes of pages one node keeps. A cache of its own, sized in bytes and scanned for expired pages every second, so
    /// pages of many projects neither crowd out the API-key entries of the shared cache nor outlive their 1 s TTL
    /// until that cache's minute-long scan. (The bench's RSS peak under list GETs did not move with this change: that
    /// peak is the server GC's heap growth, see bench/README.md, memory.)
    /// </summary>
    public const long MaxBytes = 16L * 1024 * 1024;

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = MaxBytes, ExpirationScanFrequency = TimeSpan.FromSeconds(1) });

    private sealed record Entry(long Version, byte[] Body);

    public bool Enabled => options.Value.ListCacheTtl > TimeSpan.Zero;

    /// <summary>The account's version to build a page under (take it before reading what the page shows).</summary>
    public long Version(string accountId) => changes.Of(accountId);

    public byte[]? Find(string key, string accountId) =>
        Enabled && cache.TryGetValue(key, out Entry? e) && e!.Version == changes.Of(accountId) ? e.Body : null;

    public void Store(string key, long version, byte[] body)
    {
        if (!Enabled) return;
        cache.Set(key, new Entry(version, body), new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = options.Value.ListCacheTtl,
            Size = body.Length,
        });
    }

    public void Dispose() => cache.Dispose();
}
