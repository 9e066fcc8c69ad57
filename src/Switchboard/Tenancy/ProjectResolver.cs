using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>
/// The one answer to "which project": the account's default project (which never changes, so it is cached per node)
/// and whether a caller may act on a project it names. A project of another account, or another project than a
/// restricted key's, is "not found", never "forbidden".
/// </summary>
public sealed class ProjectResolver
{
    public const int MaxIdLength = 40;

    private readonly ConcurrentDictionary<string, string> _defaults = new(StringComparer.Ordinal);

    /// <summary>The account's default project; the database (from <paramref name="services"/>) is asked once per account and node.</summary>
    public async Task<string> DefaultProjectAsync(IServiceProvider services, string accountId, CancellationToken ct)
    {
        if (_defaults.TryGetValue(accountId, out var cached)) return cached;
        var id = await services.GetRequiredService<SwitchboardDb>().Projects.AsNoTracking()
            .Where(p => p.AccountId == accountId && p.IsDefault)
            .Select(p => p.Id)
            .FirstOrDefaultAsync(ct) ?? throw new InvalidOperationException("account has no default project");
        return _defaults[accountId] = id;
    }

    /// <summary>True when the caller may act on <paramref name="projectId"/> and it exists in the caller's account.</summary>
    public async Task<bool> CanUseAsync(Tenant tenant, SwitchboardDb db, string projectId, CancellationToken ct)
    {
        if (projectId.Length is 0 or > MaxIdLength || !tenant.MaySee(projectId)) return false;
        var accountId = tenant.AccountId;
        return await db.Projects.AsNoTracking().AnyAsync(p => p.AccountId == accountId && p.Id == projectId, ct);
    }
}
