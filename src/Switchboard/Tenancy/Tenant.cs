using Switchboard.Audit;

namespace Switchboard.Tenancy;

/// <summary>
/// Who is calling and what they act on, for the length of one request (a scoped service). The authentication handler
/// fills it once (<see cref="ApiKeyAuthenticationHandler"/>): the account, the acting API key (or the admin token),
/// its scopes, the project it is restricted to, and the project the request acts on — the restricted project or
/// else the account's default project. On /projects/{projectId}/… routes <see cref="ProjectRoute"/> then checks the
/// route's project and makes it the one acted on. Handlers take a Tenant; they never read claims.
/// </summary>
public sealed class Tenant
{
    private HashSet<string> _scopes = [];

    public bool IsAuthenticated { get; private set; }
    public string AccountId { get; private set; } = "";
    /// <summary>The project this request acts on.</summary>
    public string ProjectId { get; private set; } = "";
    /// <summary>The acting API key's id; null for the admin token.</summary>
    public string? KeyId { get; private set; }
    /// <summary>The API key id, or "admin" for the operator token (as audit events and idempotency keys record it).</summary>
    public string ActorId => KeyId ?? Admin;
    /// <summary>The project the acting key is restricted to, if it is.</summary>
    public string? RestrictedProjectId { get; private set; }
    public IReadOnlyCollection<string> Scopes => _scopes;
    /// <summary>Who acts, as audit events record it.</summary>
    public AuditActor Actor { get; private set; } = AuditActor.System;

    public const string Admin = "admin";

    public bool HasScope(string scope) => _scopes.Contains(scope) || _scopes.Contains(Tenancy.Scopes.Admin);

    /// <summary>May this caller see <paramref name="projectId"/> at all (before asking whether it exists)?</summary>
    public bool MaySee(string projectId) => RestrictedProjectId is null || RestrictedProjectId == projectId;

    internal void Authenticated(string accountId, string? keyId, IEnumerable<string> scopes, string? restrictedProjectId,
        string projectId, HttpContext http)
    {
        IsAuthenticated = true;
        AccountId = accountId;
        KeyId = keyId;
        _scopes = scopes.ToHashSet(StringComparer.Ordinal);
        RestrictedProjectId = restrictedProjectId;
        ProjectId = projectId;
        Actor = new AuditActor(keyId is null ? "admin" : "api_key", ActorId, http.TraceIdentifier,
            http.Connection.RemoteIpAddress?.ToString(), restrictedProjectId);
    }

    /// <summary>The route's project, checked by <see cref="ProjectRoute"/>.</summary>
    internal void ActOn(string projectId) => ProjectId = projectId;
}
