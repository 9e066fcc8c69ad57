using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Invocation;

/// <summary>A provider installed and active in the tenant's project, with the usable credential of one end user.</summary>
public sealed record ProviderTarget(Integration Row, ProviderDefinition Provider, UsableCredential Credential, string UserId)
{
    /// <summary>The install's base_url_override, else the provider's api_base_url, with params filled; null when it cannot be built.</summary>
    public Uri? BaseUrl() =>
        (Row.BaseUrlOverride ?? Provider.ApiBaseUrl) is { } template ? UrlTemplate.Build(template, Credential.App.Param) : null;
}

/// <summary>
/// The checks of a proxied request before anything is sent: the provider is in the account's catalog, installed and
/// active in the project, the method permitted (<see cref="ToolPermissions.ProxyRead"/>/<see cref="ToolPermissions.ProxyWrite"/>),
/// and the end user's credential usable. Refusals are the same outcomes a tool call has.
/// </summary>
public sealed class ProviderAccess(SwitchboardDb db, AccountCatalog catalog, UsableCredentials credentials)
{
    public static bool IsReadMethod(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    public async Task<(ProviderTarget? Target, ToolOutcome? Refusal)> ForProxyAsync(Tenant tenant, string providerName, string method,
        string? userId, CancellationToken ct)
    {
        var provider = await catalog.FindAsync(db, tenant.AccountId, providerName, ct);
        if (provider is null) return (null, new ToolOutcome.NotFound(providerName));
        if (provider.Inject is null && provider.AuthType != AuthTypes.None)
            return (null, new ToolOutcome.CredentialUnavailable(new CredentialFailure(CredentialFailureKind.UnsupportedAuthType, provider.AuthType,
                $"'{provider.Name}' declares no inject spec, so Switchboard cannot put its credential on a request.")));
        var row = await credentials.FindInstallAsync(db, tenant.AccountId, tenant.ProjectId, provider.Name, ct);
        if (row is null || row.Status != IntegrationStatus.Active)
            return (null, new ToolOutcome.NotActive(provider.Name, row?.Status ?? IntegrationStatus.Available));
        var write = !IsReadMethod(method);
        var permission = write ? ToolPermissions.ProxyWrite : ToolPermissions.ProxyRead;
        var (allowed, reason) = ToolPermissions.Verdict(permission, write, ToolPermissions.Parse(row.ActionPermissionsJson));
        if (!allowed) return (null, new ToolOutcome.NotPermitted($"{method} proxy", permission, reason!));
        var user = userId ?? ToolCall.DefaultUserId;
        var (credential, failure) = await credentials.ForAsync(db, row, provider, user, tenant.Actor, ct);
        if (credential is null) return (null, Invocations.FromFailure(failure!, row, provider, user));
        return (new ProviderTarget(row, provider, credential, user), null);
    }
}
