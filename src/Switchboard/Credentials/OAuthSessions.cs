using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>
/// Opens an authorization session for one end user of an installed integration: the user's connection row
/// (created pending when new) and a single-use start handle. Adds to the context; the caller saves.
/// </summary>
public static class OAuthSessions
{
    public static async Task<string> AddAsync(SwitchboardDb db, AuditActor actor, string accountId, Integration integration,
        string userId, string? redirectUri, TimeSpan lifetime, CancellationToken ct) =>
        (await StartAsync(db, actor, accountId, integration, userId, redirectUri, lifetime, ct)).Handle;

    /// <summary>As <see cref="AddAsync"/>, also naming the session (a caller that follows how it ends keeps its id).</summary>
    public static async Task<(string Handle, Guid SessionId)> StartAsync(SwitchboardDb db, AuditActor actor, string accountId, Integration integration,
        string userId, string? redirectUri, TimeSpan lifetime, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var connection = await db.Set<OAuthConnection>()
            .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == integration.Id && c.UserId == userId, ct);
        if (connection is null)
        {
            connection = new OAuthConnection
            {
                Id = Guid.CreateVersion7(), AccountId = accountId, ProjectId = integration.ProjectId, IntegrationId = integration.Id,
                UserId = userId, CreatedAt = now, UpdatedAt = now,
            };
            db.Add(connection);
            AuditLog.Record(db, actor, accountId, "oauth.user.created", integration.ProjectId, integration.Provider,
                connection.Id.ToString(), new { user_id = userId });
        }
        var handle = OAuthHandles.New();
        var session = new OAuthSession
        {
            Id = Guid.CreateVersion7(), AccountId = accountId, ProjectId = integration.ProjectId, IntegrationId = integration.Id,
            ConnectionId = connection.Id, StartTokenHash = OAuthHandles.Hash(handle), RedirectUri = redirectUri,
            ExpiresAt = now + lifetime, CreatedAt = now,
        };
        db.Add(session);
        AuditLog.Record(db, actor, accountId, "oauth.auth_url.created", integration.ProjectId, integration.Provider,
            connection.Id.ToString(), new { user_id = userId, session_id = session.Id, expires_at = session.ExpiresAt, redirect_uri = redirectUri });
        return (handle, session.Id);
    }
}
