using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>
/// Which project the account-level routes (/api/v1/integrations…) act on: the key's project when the
/// key is restricted to one, else the account's default project (which never changes, so it is cached).
/// </summary>
public sealed class ProjectLookup
{
    private readonly ConcurrentDictionary<string, string> _defaults = new();

    public async Task<string> ProjectForAsync(ClaimsPrincipal user, SwitchboardDb db, CancellationToken ct)
    {
        if (user.RestrictedProjectId() is { } restricted) return restricted;
        var accountId = user.AccountId();
        if (_defaults.TryGetValue(accountId, out var cached)) return cached;
        var id = await db.Projects.AsNoTracking()
            .Where(p => p.AccountId == accountId && p.IsDefault)
            .Select(p => p.Id)
            .FirstOrDefaultAsync(ct) ?? throw new InvalidOperationException("account has no default project");
        _defaults[accountId] = id;
        return id;
    }
}
