using System.Text.Json.Nodes;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Lifecycle;

/// <summary>An installed (active, paused or disconnected) integration as the RogerIQ surface shows it.</summary>
public sealed record ProjectIntegrationView(
    Guid Id,
    string Provider,
    string Status,
    string DisplayName,
    string SetupType,
    string? HealthStatus,
    bool SidebarEnabled,
    DateTime? LastSyncedAt,
    string? ErrorMessage,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    JsonObject Settings,
    JsonObject ActionPermissions)
{
    public static ProjectIntegrationView From(ProviderDefinition p, Integration row) => new(
        row.Id, p.Name, row.Status, row.DisplayName ?? p.DisplayName, SetupTypes.For(p), row.HealthStatus, row.SidebarEnabled,
        row.LastSyncedAt, row.ErrorMessage, row.CreatedAt, row.UpdatedAt, JsonObjects.Parse(row.SettingsJson),
        JsonObjects.Parse(row.ActionPermissionsJson));
}

/// <summary>A catalog entry merged with this project's integration row, if any; status "available" without one.</summary>
public sealed record CatalogEntryView(
    Guid Id,
    string Provider,
    string DisplayName,
    string Description,
    string Category,
    string AuthType,
    string SetupType,
    string Status,
    string? HealthStatus,
    bool SidebarEnabled,
    DateTime? LastSyncedAt,
    string? ErrorMessage,
    DateTime? InstalledAt,
    DateTime? UpdatedAt,
    string LogoUrl,
    string DocsUrl)
{
    public static CatalogEntryView From(ProviderDefinition p, string projectId, Integration? row) => new(
        row?.Id ?? IntegrationIds.For(projectId, p.Name), p.Name, row?.DisplayName ?? p.DisplayName, p.Description, p.Category,
        p.AuthType, SetupTypes.For(p), row?.Status ?? IntegrationStatus.Available, row?.HealthStatus, row?.SidebarEnabled ?? false,
        row?.LastSyncedAt, row?.ErrorMessage, row?.InstalledAt, row?.UpdatedAt, p.LogoUrl, p.DocsUrl);
}
