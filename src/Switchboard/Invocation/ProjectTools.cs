using Microsoft.EntityFrameworkCore;
using Switchboard.Catalog;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Invocation;

/// <summary>Filters of a tool listing; Query matches name, title and description (case-insensitive).</summary>
public sealed record ToolFilter(string? Provider = null, string? Kind = null, string? Query = null, bool AllowedOnly = false);

/// <summary>A tool of one of the project's active integrations, with its permission verdict.</summary>
public sealed record ProjectTool(ToolDefinition Tool, string IntegrationId, string Provider, bool Allowed, string? DeniedReason);

/// <summary>The tools a tenant's project can use: those of its ACTIVE integrations (paused, disconnected and never
/// installed ones contribute none), ordered by name.</summary>
public sealed class ProjectTools(SwitchboardDb db, ToolCatalog tools)
{
    public async Task<IReadOnlyList<ProjectTool>> ListAsync(Tenant tenant, ToolFilter filter, CancellationToken ct)
    {
        var (accountId, projectId) = (tenant.AccountId, tenant.ProjectId);
        var query = db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Status == IntegrationStatus.Active);
        if (filter.Provider is { } provider) query = query.Where(i => i.Provider == provider);
        var installs = await query.Select(i => new { i.Id, i.Provider, i.ActionPermissionsJson }).ToListAsync(ct);
        var list = new List<ProjectTool>();
        foreach (var install in installs)
        {
            var permissions = ToolPermissions.Parse(install.ActionPermissionsJson);
            foreach (var tool in tools.ForProvider(install.Provider))
            {
                if (filter.Kind is { } kind && tool.Kind != kind) continue;
                if (filter.Query is { Length: > 0 } q && !Matches(tool, q)) continue;
                var (allowed, reason) = ToolPermissions.Verdict(tool, permissions);
                if (filter.AllowedOnly && !allowed) continue;
                list.Add(new ProjectTool(tool, install.Id.ToString(), install.Provider, allowed, reason));
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Tool.Name, b.Tool.Name));
        return list;
    }

    /// <summary>One tool by name or openai_name, if the project's active integrations have it.</summary>
    public async Task<ProjectTool?> FindAsync(Tenant tenant, string name, CancellationToken ct)
    {
        var tool = tools.Find(name) ?? tools.FindByOpenAiName(name);
        if (tool is null) return null;
        var found = await ListAsync(tenant, new ToolFilter(Provider: tool.Provider), ct);
        return found.FirstOrDefault(t => t.Tool.Name == tool.Name);
    }

    private static bool Matches(ToolDefinition t, string q) =>
        t.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || t.Title.Contains(q, StringComparison.OrdinalIgnoreCase)
        || t.Description.Contains(q, StringComparison.OrdinalIgnoreCase);
}
