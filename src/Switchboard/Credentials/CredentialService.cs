using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Store;
using Switchboard.Telemetry;

namespace Switchboard.Credentials;

/// <summary>
/// The entry points for "a usable credential for integration X (and end user U)": the checks every caller needs (the
/// integration is active, the user exists, the auth type has such a token), the lease-coordinated refresh
/// (<see cref="TokenRefresher"/>), and the credentials.read audit event of every credential handed out. The caller
/// has found the integration in its tenant; failures are result values (<see cref="CredentialFailure.ToProblem"/>).
/// </summary>
public sealed class CredentialService(TokenRefresher refresher, IStoreWriter writer, IntegrationReads reads, IOptions<OAuthOptions> options)
{
    /// <summary>Integration <paramref name="integrationId"/> of the account with the connection of <paramref name="userId"/> ("" for the machine token).</summary>
    public Task<IntegrationWithConnection?> FindAsync(SwitchboardDb db, string accountId, Guid integrationId, string userId, CancellationToken ct) =>
        reads.FindWithConnectionAsync(db, accountId, integrationId, userId, ct);

    /// <summary>Auth types whose integration holds a token of its own (no end user).</summary>
    public static bool HasMachineToken(string authType) =>
        authType is AuthTypes.OAuth2ClientCredentials or AuthTypes.GoogleServiceAccount or AuthTypes.AwsAssumeRole;

    /// <summary>
    /// End user <paramref name="userId"/>'s access token for an OAUTH2 integration, refreshed first when it expires
    /// within RefreshMargin. For an integration with a machine token (client credentials, service account, assume
    /// role) the user does not matter: that token is served.
    /// </summary>
    public Task<CredentialResult> ForUserAsync(SwitchboardDb db, Integration integration, ProviderDefinition provider, string userId,
        AuditActor actor, CancellationToken ct, bool audit = true)
    {
        var (accountId, integrationId) = (integration.AccountId, integration.Id);
        return UserTokenAsync(db, integration, provider, userId, () => new(db.Set<OAuthConnection>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.AccountId == accountId && c.IntegrationId == integrationId && c.UserId == userId, ct)), actor, audit, ct);
    }

    /// <summary>
    /// <see cref="ForUserAsync(SwitchboardDb, Integration, ProviderDefinition, string, AuditActor, CancellationToken, bool)"/>
    /// for what <see cref="FindAsync"/> read with <paramref name="userId"/>: the connection read with the integration is
    /// the refresh's first read.
    /// </summary>
    public Task<CredentialResult> ForUserAsync(SwitchboardDb db, IntegrationWithConnection found, ProviderDefinition provider, string userId,
        AuditActor actor, CancellationToken ct) =>
        UserTokenAsync(db, found.Integration, provider, userId, () => ValueTask.FromResult(found.Connection), actor, audit: true, ct);

    /// <summary>The checks of an end user's token; <paramref name="connection"/> is read only once they pass.</summary>
    private async Task<CredentialResult> UserTokenAsync(SwitchboardDb db, Integration integration, ProviderDefinition provider, string userId,
        Func<ValueTask<OAuthConnection?>> connection, AuditActor actor, bool audit, CancellationToken ct)
    {
        if (provider.AuthType != AuthTypes.OAuth2) return await ForIntegrationAsync(db, integration, provider, actor, ct, audit);
        if (integration.Status != IntegrationStatus.Active) return CredentialResult.Fail(CredentialFailureKind.IntegrationNotActive, integration.Status);
        if (await connection() is not { } row) return CredentialResult.Fail(CredentialFailureKind.UserNotFound, userId);
        return await ReadAsync(db, integration, provider, row.Id, userId, actor, audit, ct, row);
    }

    /// <summary>The integration's own token, fetched on first use and cached sealed until near expiry.</summary>
    /// <remarks><paramref name="audit"/> false: the caller audits the use itself (a tool call or proxied request records
    /// one event for the whole call, not a credentials.read besides). <paramref name="machine"/>: the machine-token row
    /// as the caller read it with the integration (<see cref="FindAsync"/> with user ""), the refresh's first read.</remarks>
    public async Task<CredentialResult> ForIntegrationAsync(SwitchboardDb db, Integration integration, ProviderDefinition provider, AuditActor actor,
        CancellationToken ct, bool audit = true, OAuthConnection? machine = null)
    {
        if (!HasMachineToken(provider.AuthType))
            return CredentialResult.Fail(CredentialFailureKind.UnsupportedAuthType, provider.AuthType,
                $"'{provider.Name}' uses {provider.AuthType}; tokens are served for OAuth, service-account and assume-role integrations.");
        if (integration.Status != IntegrationStatus.Active) return CredentialResult.Fail(CredentialFailureKind.IntegrationNotActive, integration.Status);
        if (machine is { UserId.Length: 0 }) return await ReadAsync(db, integration, provider, machine.Id, null, actor, audit, ct, machine);
        var connectionId = await MachineConnectionAsync(db, integration, ct);
        return await ReadAsync(db, integration, provider, connectionId, null, actor, audit, ct);
    }

    private async Task<CredentialResult> ReadAsync(SwitchboardDb db, Integration integration, ProviderDefinition provider, Guid connectionId,
        string? userId, AuditActor actor, bool audit, CancellationToken ct, OAuthConnection? read = null)
    {
        var result = await refresher.GetAsync(db, actor, integration.AccountId, connectionId, options.Value.RefreshMargin, TokenRefresher.Trigger.Read, ct, read);
        if (result.Value is null || !audit) return result;
        await writer.AppendAsync(AuditLog.Event(actor, integration.AccountId, "credentials.read", integration.ProjectId, provider.Name,
            connectionId.ToString(), new { user_id = userId, integration_id = integration.Id }), ct);
        SwitchboardMetrics.CredentialReads.Add(1);
        return result;
    }

    /// <summary>The integration's machine-token row (UserId ""), created on first use.</summary>
    private async Task<Guid> MachineConnectionAsync(SwitchboardDb db, Integration integration, CancellationToken ct)
    {
        var (accountId, integrationId) = (integration.AccountId, integration.Id);
        for (var attempt = 1; ; attempt++)
        {
            var id = await db.Set<OAuthConnection>().AsNoTracking()
                .Where(c => c.AccountId == accountId && c.IntegrationId == integrationId && c.UserId == "")
                .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
            if (id is not null) return id.Value;
            var now = DateTime.UtcNow;
            var row = new OAuthConnection
            {
                Id = Guid.CreateVersion7(), AccountId = accountId, ProjectId = integration.ProjectId, IntegrationId = integrationId,
                UserId = "", Status = ConnectionStatus.Active, CreatedAt = now, UpdatedAt = now,
            };
            try
            {
                return await writer.WriteAsync(async (tx, token) =>
                {
                    tx.Db.Add(row);
                    await tx.Db.SaveChangesAsync(token);
                    return row.Id;
                }, ct);
            }
            // Two first reads raced on the unique (account, integration, user) index; the next try finds the winner's row.
            catch (DbUpdateException) when (attempt < 3)
            {
            }
        }
    }
}
