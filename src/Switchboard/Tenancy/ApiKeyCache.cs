using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Switchboard.Jobs;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>What authentication needs to know of a key; cached so warm requests skip the database.</summary>
public sealed record ApiKeySnapshot(string Id, string AccountId, string? ProjectId, string[] Scopes, DateTime? RevokedAt);

public sealed class ApiKeyCache(IMemoryCache cache, IOptions<SwitchboardOptions> options)
{
    /// <summary>How long a well-formed key that matches nothing is remembered as unknown.</summary>
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(5);
    /// <summary>How long this node remembers that a key once authenticated (a hash, no snapshot), for the login throttle.</summary>
    public static readonly TimeSpan KnownValidTtl = TimeSpan.FromDays(1);

    private static string CacheKey(byte[] hash) => "apikey:" + Convert.ToHexString(hash);
    private static string KnownKey(byte[] hash) => "apikey-known:" + Convert.ToHexString(hash);

    /// <summary>What this node's memory says of the key (a snapshot, or null for a key known to be unknown), without a database read.</summary>
    public bool TryGetCached(byte[] hash, out ApiKeySnapshot? snapshot) => cache.TryGetValue(CacheKey(hash), out snapshot);

    /// <summary>Did this key authenticate on this node recently? Such a key is looked up even for a throttled client.</summary>
    public bool WasValid(byte[] hash) => cache.TryGetValue(KnownKey(hash), out _);

    /// <summary>Reads the key from the database and caches the answer (found or not).</summary>
    public async Task<ApiKeySnapshot?> LoadAsync(byte[] hash, SwitchboardDb db, CancellationToken ct)
    {
        var row = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash)
            .Select(k => new { k.Id, k.AccountId, k.ProjectId, k.Scopes, k.RevokedAt })
            .FirstOrDefaultAsync(ct);
        var snapshot = row is null ? null
            : new ApiKeySnapshot(row.Id, row.AccountId, row.ProjectId, row.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), row.RevokedAt);
        // Unknown keys are cached too (briefly, sized, and first to go when the cache compacts), so a flood of
        // well-formed fakes cannot hammer the database with the same key, nor push out the keys in use.
        cache.Set(CacheKey(hash), snapshot, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = snapshot is null ? NegativeTtl : options.Value.ApiKeyCacheTtl,
            Priority = snapshot is null ? CacheItemPriority.Low : CacheItemPriority.Normal,
            Size = 1,
        });
        if (snapshot is { RevokedAt: null })
            cache.Set(KnownKey(hash), true, new MemoryCacheEntryOptions { SlidingExpiration = KnownValidTtl, Size = 1 });
        return snapshot;
    }

    public void Invalidate(byte[] hash) => cache.Remove(CacheKey(hash));
}

/// <summary>
/// Makes a revocation done elsewhere (another node, the CLI) take effect here within one poll interval,
/// with one cheap indexed query per interval instead of a database read per request.
/// </summary>
public sealed class ApiKeyRevocationWatcher(ApiKeyCache cache, IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options,
    ILogger<ApiKeyRevocationWatcher> logger) : PeriodicJob(logger)
{
    // Revocation times come from the clocks of other nodes; look back far enough to cover skew between them.
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(2);
    private DateTime _since = DateTime.UtcNow - Overlap;

    protected override TimeSpan Interval => options.Value.ApiKeyRevocationPollInterval;

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        var checkedAt = DateTime.UtcNow;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var since = _since;
        var hashes = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt != null && k.RevokedAt > since)
            .Select(k => k.Hash).ToListAsync(ct);
        foreach (var hash in hashes) cache.Invalidate(hash);
        _since = checkedAt - Overlap;
    }
}

/// <summary>
/// Records last_used_at without a write per request: at most once a minute per key, flushed in the background.
/// </summary>
public sealed class ApiKeyUsage
{
    private readonly ConcurrentDictionary<string, (string AccountId, DateTime At)> _pending = new();
    private readonly ConcurrentDictionary<string, DateTime> _lastRecorded = new();

    public void Touch(string keyId, string accountId)
    {
        var now = DateTime.UtcNow;
        if (_lastRecorded.TryGetValue(keyId, out var last) && now - last < TimeSpan.FromMinutes(1)) return;
        _lastRecorded[keyId] = now;
        _pending[keyId] = (accountId, now);
    }

    /// <summary>Writes every pending last_used_at in one write.</summary>
    public async Task FlushAsync(IStoreWriter writer, CancellationToken ct)
    {
        var due = new List<(string KeyId, string AccountId, DateTime At)>();
        foreach (var keyId in _pending.Keys)
            if (_pending.TryRemove(keyId, out var entry)) due.Add((keyId, entry.AccountId, entry.At));
        if (due.Count == 0) return;
        await writer.WriteAsync(async (tx, token) =>
        {
            foreach (var (keyId, accountId, at) in due)
                await tx.Db.ApiKeys.Where(k => k.Id == keyId && k.AccountId == accountId)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, at), token);
        }, ct);
    }
}

public sealed class ApiKeyUsageFlusher(ApiKeyUsage usage, IStoreWriter writer, ILogger<ApiKeyUsageFlusher> logger) : PeriodicJob(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(10);

    protected override Task RunOnceAsync(CancellationToken ct) => usage.FlushAsync(writer, ct);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await RunSafelyAsync(cancellationToken);
    }
}
