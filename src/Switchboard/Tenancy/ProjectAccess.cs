using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>
/// Which projects a caller may see on the /projects/{projectId}/… routes: those of its account, and only its own
/// project when its key is restricted to one. Anything else is "not found", never "forbidden".
/// </summary>
public static class ProjectAccess
{
    /// <summary>True when the caller may act on <paramref name="projectId"/> and it exists in the caller's account.</summary>
    public static async Task<bool> CanUseAsync(ClaimsPrincipal user, SwitchboardDb db, string projectId, CancellationToken ct)
    {
        if (projectId.Length is 0 or > 40) return false;
        if (user.RestrictedProjectId() is { } restricted && restricted != projectId) return false;
        var accountId = user.AccountId();
        return await db.Projects.AsNoTracking().AnyAsync(p => p.AccountId == accountId && p.Id == projectId, ct);
    }
}
