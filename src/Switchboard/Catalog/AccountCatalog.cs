using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Switchboard.Store;

namespace Switchboard.Catalog;

/// <summary>
/// The one provider lookup: the catalog one account sees, the built-in providers plus the account's own custom
/// providers. Built-ins stay in memory. An account's custom providers are read once and cached per node for
/// <see cref="SwitchboardOptions.ListCacheTtl"/> under the account's <see cref="AccountChanges"/> value: a change on
/// this node (the custom-provider write path calls <see cref="Changed"/>) drops them at once and again at its commit;
/// a change on another node is seen within the TTL (1 s by default; 0 reads the database every time).
/// </summary>
public sealed class AccountCatalog(ProviderCatalog builtIn, AccountChanges changes, IMemoryCache cache, IOptions<SwitchboardOptions> options)
{
    private sealed record CustomProviders(long Version, IReadOnlyList<ProviderDefinition> List, IReadOnlyDictionary<string, ProviderDefinition> ByName);

    public ProviderCatalog BuiltIn => builtIn;

    /// <summary>The write in <paramref name="tx"/> adds, changes or deletes one of the account's custom providers.</summary>
    public void Changed(StoreTransaction tx, string accountId) => changes.Changed(tx, accountId);

    /// <summary>Every provider the account sees, ordered by name.</summary>
    public async Task<IReadOnlyList<ProviderDefinition>> ProvidersAsync(SwitchboardDb db, string accountId, CancellationToken ct)
    {
        var custom = (await CustomAsync(db, accountId, ct)).List;
        if (custom.Count == 0) return builtIn.Providers;
        return builtIn.Providers.Concat(custom).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A provider by its snake_case name, or null.</summary>
    public async Task<ProviderDefinition?> FindAsync(SwitchboardDb db, string accountId, string name, CancellationToken ct) =>
        builtIn.Find(name) ?? (await CustomAsync(db, accountId, ct)).ByName.GetValueOrDefault(name);

    /// <summary>A uuid (the project's id for an entry) or a snake_case provider name.</summary>
    public async Task<ProviderDefinition?> ResolveAsync(SwitchboardDb db, string accountId, string projectId, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var uuid)) return await FindAsync(db, accountId, id, ct);
        if (builtIn.FindById(projectId, uuid) is { } p) return p;
        return (await CustomAsync(db, accountId, ct)).List.FirstOrDefault(c => IntegrationIds.For(projectId, c.Name) == uuid);
    }

    private async Task<CustomProviders> CustomAsync(SwitchboardDb db, string accountId, CancellationToken ct)
    {
        var key = "custom-providers:" + accountId;
        // Taken before the read: a change committed meanwhile moves it, and the set read now is then not served.
        var version = changes.Of(accountId);
        if (cache.TryGetValue(key, out CustomProviders? cached) && cached!.Version == version) return cached;
        var rows = await db.Set<CustomProvider>().AsNoTracking()
            .Where(c => c.AccountId == accountId).Select(c => c.DefinitionJson).ToListAsync(ct);
        var list = rows.Select(Parse).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var read = new CustomProviders(version, list, list.ToDictionary(p => p.Name, StringComparer.Ordinal));
        var ttl = options.Value.ListCacheTtl;
        if (ttl > TimeSpan.Zero)
            cache.Set(key, read, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 + list.Count });
        return read;
    }

    public static ProviderDefinition Parse(string json) =>
        JsonSerializer.Deserialize<ProviderDefinition>(json, ProviderCatalog.Json) ?? throw new InvalidDataException("empty provider");
}
