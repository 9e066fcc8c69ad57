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
    /// Bytes of pages one node keeps. A cache of its own, sized in bytes and scanned for expired pages every second:
    /// in the shared cache, pages of 1,000 projects that had expired after their 1 s stayed in memory until its
    /// minute-long scan (bench memory section: 305 MB peak under list GETs against 176 MB idle).
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
