using System.Security.Claims;

namespace Switchboard.Tenancy;

public static class Scopes
{
    public const string Read = "read";
    public const string IntegrationsWrite = "integrations:write";
    public const string CredentialsRead = "credentials:read";
    /// <summary>Create, change, delete webhook endpoints, rotate their secrets, replay deliveries (reading them needs read).</summary>
    public const string WebhooksWrite = "webhooks:write";
    /// <summary>Calling native tools (also through Switchboard's MCP server, /mcp) and the credential-injecting proxy.</summary>
    public const string ToolsInvoke = "tools:invoke";
    public const string Admin = "admin";

    public static readonly string[] All = [Read, IntegrationsWrite, CredentialsRead, ToolsInvoke, WebhooksWrite, Admin];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}

public static class SwitchboardClaimTypes
{
    public const string AccountId = "sb:account";
    public const string KeyId = "sb:key";
    public const string ProjectId = "sb:project";
    public const string Scope = "sb:scope";
}

public static class SwitchboardClaims
{
    public static string AccountId(this ClaimsPrincipal user) =>
        user.FindFirstValue(SwitchboardClaimTypes.AccountId) ?? throw new InvalidOperationException("unauthenticated");

    /// <summary>The API key id, or "admin" for the operator token.</summary>
    public static string ActorId(this ClaimsPrincipal user) => user.FindFirstValue(SwitchboardClaimTypes.KeyId) ?? "admin";

    /// <summary>The project an API key is restricted to, if any.</summary>
    public static string? RestrictedProjectId(this ClaimsPrincipal user) => user.FindFirstValue(SwitchboardClaimTypes.ProjectId);

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(SwitchboardClaimTypes.Scope, scope) || user.HasClaim(SwitchboardClaimTypes.Scope, Scopes.Admin);
}
