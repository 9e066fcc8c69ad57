using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Catalog;

/// <summary>
/// The catalog one account sees: the built-in providers plus the account's own custom providers.
/// Built-in lookups stay in memory; custom ones are one indexed query (no per-node cache, so an update
/// made on another node is seen at once).
/// </summary>
public sealed class AccountCatalog(ProviderCatalog builtIn, AccountChanges changes)
{
    public ProviderCatalog BuiltIn => builtIn;

    /// <summary>The write in <paramref name="tx"/> adds, changes or deletes one of the account's custom providers.</summary>
    public void Changed(StoreTransaction tx, string accountId) => changes.Changed(tx, accountId);

    public async Task<IReadOnlyList<ProviderDefinition>> ProvidersAsync(SwitchboardDb db, string accountId, CancellationToken ct)
    {
        var custom = await CustomAsync(db, accountId, ct);
        if (custom.Count == 0) return builtIn.Providers;
        return builtIn.Providers.Concat(custom).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<ProviderDefinition?> FindAsync(SwitchboardDb db, string accountId, string name, CancellationToken ct)
    {
        if (builtIn.Find(name) is { } p) return p;
        var json = await db.Set<CustomProvider>().AsNoTracking()
            .Where(c => c.AccountId == accountId && c.Name == name).Select(c => c.DefinitionJson).FirstOrDefaultAsync(ct);
        return json is null ? null : Parse(json);
    }

    /// <summary>A uuid (the project's id for an entry) or a snake_case provider name.</summary>
    public async Task<ProviderDefinition?> ResolveAsync(SwitchboardDb db, string accountId, string projectId, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var uuid)) return await FindAsync(db, accountId, id, ct);
        if (builtIn.FindById(projectId, uuid) is { } p) return p;
        var custom = await CustomAsync(db, accountId, ct);
        return custom.FirstOrDefault(c => IntegrationIds.For(projectId, c.Name) == uuid);
    }

    private static async Task<List<ProviderDefinition>> CustomAsync(SwitchboardDb db, string accountId, CancellationToken ct)
    {
        var rows = await db.Set<CustomProvider>().AsNoTracking()
            .Where(c => c.AccountId == accountId).Select(c => c.DefinitionJson).ToListAsync(ct);
        return rows.Select(Parse).ToList();
    }

    public static ProviderDefinition Parse(string json) =>
        JsonSerializer.Deserialize<ProviderDefinition>(json, ProviderCatalog.Json) ?? throw new InvalidDataException("empty provider");
}
