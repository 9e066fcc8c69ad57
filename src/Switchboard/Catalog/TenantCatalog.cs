using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Catalog;

/// <summary>
/// What most handlers start from, bound in one parameter (<c>[AsParameters] TenantCatalog c</c>): the request's
/// tenant, its database context for reads, and the catalog its account sees, with the project it acts on.
/// </summary>
public sealed record TenantCatalog(Tenant Tenant, SwitchboardDb Db, AccountCatalog Catalog, CancellationToken Aborted)
{
    public string AccountId => Tenant.AccountId;
    public string ProjectId => Tenant.ProjectId;

    /// <summary>A provider by the project-scoped uuid of its entry or by its snake_case name; null when the account has none.</summary>
    public Task<ProviderDefinition?> ResolveAsync(string idOrName) => Catalog.ResolveAsync(Db, AccountId, ProjectId, idOrName, Aborted);

    public Task<ProviderDefinition?> FindAsync(string name) => Catalog.FindAsync(Db, AccountId, name, Aborted);

    public Task<IReadOnlyList<ProviderDefinition>> ProvidersAsync() => Catalog.ProvidersAsync(Db, AccountId, Aborted);
}
