using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Jobs;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Telemetry;
using Switchboard.Events;

namespace Switchboard.Credentials;

/// <summary>
/// The token of one connection (an end user's, or an integration's machine token), refreshed through a lease row so
/// that any number of nodes sharing the database refresh a token exactly once: the lease is taken by a compare-and-set
/// on (generation, lease expiry); whoever loses waits and re-reads the token the winner stored (the bumped generation
/// stops it from refreshing again). Token requests go out only after the lease is taken, never inside a write.
/// </summary>
public sealed class TokenRefresher(SecretBox box, TokenClient tokens, AccountCatalog catalog, AwsAssumeRole aws, IStoreWriter writer,
    NodeIdentity node, IOptions<OAuthOptions> options, ILogger<TokenRefresher> logger)
{
    private OAuthOptions O => options.Value;

    public enum Trigger { Read, Worker }

    /// <summary>
    /// A token of connection <paramref name="connectionId"/> valid for at least <paramref name="margin"/>, refreshed first
    /// when needed. The worker (<see cref="Trigger.Worker"/>) gets <see cref="CredentialResult.Nothing"/> when another node
    /// is on it. <paramref name="read"/>: the connection row as the caller just read it, used as the first read.
    /// </summary>
    public async Task<CredentialResult> GetAsync(SwitchboardDb db, AuditActor actor, string accountId,
        Guid connectionId, TimeSpan margin, Trigger trigger, CancellationToken ct, OAuthConnection? read = null)
    {
        if (!box.IsAvailable) return CredentialResult.Fail(CredentialFailureKind.EncryptionUnavailable);
        var deadline = DateTime.UtcNow + O.WaitForRefresh;
        if (read is not null && (read.AccountId != accountId || read.Id != connectionId)) read = null;
        while (true)
        {
            var row = read ?? await db.Set<OAuthConnection>().AsNoTracking()
                .FirstOrDefaultAsync(c => c.AccountId == accountId && c.Id == connectionId, ct);
            read = null;
            if (row is null) return CredentialResult.Fail(CredentialFailureKind.UserNotFound, connectionId.ToString());
            var now = DateTime.UtcNow;
            var machine = row.UserId.Length == 0;
            if (!machine && row.Status != ConnectionStatus.Active)
                return CredentialResult.Fail(CredentialFailureKind.ConnectionNotActive, row.Status);

            var usable = row.AccessToken is not null && (row.ExpiresAt is null || row.ExpiresAt > now);
            if (row.AccessToken is not null && (row.ExpiresAt is null || row.ExpiresAt > now + margin)) return Open(row);
            if (trigger == Trigger.Worker && (row.LeaseUntil > now)) return CredentialResult.Nothing;
            if (row.NextAttemptAt > now)
                return usable ? Open(row) : Unavailable("The provider failed recently; the refresh is retried with backoff.");
            if (!machine && row.RefreshToken is null)
                return usable ? Open(row) : CredentialResult.Fail(CredentialFailureKind.ConnectionExpired, null,
                    "The access token expired and the provider gave no refresh token; authorise again.");

            var me = node.Id + ":" + Guid.NewGuid().ToString("N")[..8];
            var generation = row.Generation;
            // The lease must outlive the token request and the write after it, whatever the settings say.
            var leaseUntil = now + TimeSpan.FromTicks(Math.Max(O.LeaseDuration.Ticks, (O.TokenRequestTimeout * 2 + TimeSpan.FromSeconds(10)).Ticks));
            var won = await writer.WriteAsync((tx, token) => tx.Db.Set<OAuthConnection>()
                .Where(c => c.AccountId == accountId && c.Id == connectionId && c.Generation == generation
                            && (c.LeaseUntil == null || c.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, me).SetProperty(c => c.LeaseUntil, leaseUntil), token), ct);
            if (won == 1) return await RefreshUnderLeaseAsync(db, actor, row, me, trigger, ct);
            if (trigger == Trigger.Worker) return CredentialResult.Nothing;
            if (DateTime.UtcNow > deadline)
                return usable ? Open(row) : Unavailable("Another node is refreshing this token; retry shortly.");
            await Task.Delay(Random.Shared.Next(30, 90), ct);
        }
    }

    private static CredentialResult Unavailable(string detail) => CredentialResult.Fail(CredentialFailureKind.ProviderUnavailable, null, detail);

    private CredentialResult Open(OAuthConnection row) =>
        CredentialResult.Of(new(row.UserId, SealedFields.AccessToken.Open(box, row), row.TokenType, row.ExpiresAt, row.Scopes, row.Generation));

    private async Task<CredentialResult> RefreshUnderLeaseAsync(SwitchboardDb db, AuditActor actor, OAuthConnection row,
        string me, Trigger trigger, CancellationToken ct)
    {
        TokenOutcome outcome;
        var app = await IntegrationApp.LoadAsync(db, catalog, box, row.AccountId, row.IntegrationId, ct);
        try
        {
            outcome = app is null
                ? TokenOutcome.Fail(TokenFailureKind.Rejected, "integration_missing")
                : await FetchAsync(app, row, ct);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            // A malformed stored key (e.g. a service account's private key) cannot be fixed by retrying.
            logger.LogWarning("Token fetch for connection {Id} failed before the request: {Error}", row.Id, e.GetType().Name);
            outcome = TokenOutcome.Fail(TokenFailureKind.Rejected, "invalid_credentials_config");
        }

        // For a machine token, invalid_grant means the configured credentials are refused, not that a user must re-authorise.
        if (row.UserId.Length == 0 && outcome.Failure is { Kind: TokenFailureKind.InvalidGrant } ig)
            outcome = TokenOutcome.Fail(TokenFailureKind.Rejected, ig.Error);
        var now = DateTime.UtcNow;
        // New tokens are stored by compare-and-set on the generation, even if our lease ran out meanwhile: a rotated refresh
        // token is the only one left that works, and whoever stores first wins (a later node's write then fails and reads ours).
        // A failure is recorded only while we still hold the lease, so it never overrides another node's refresh.
        var generation = row.Generation;
        var storingTokens = outcome.Tokens is not null;
        var audience = new { user_id = row.UserId.Length == 0 ? null : row.UserId, trigger = trigger.ToString().ToLowerInvariant() };
        // Sealed before the write: the writer runs nothing but the write.
        var access = outcome.Tokens is { } issued ? SealedFields.AccessToken.Seal(box, row, issued.AccessToken) : null;
        var refresh = outcome.Tokens is { RefreshToken: { } rotated } ? SealedFields.RefreshToken.Seal(box, row, rotated) : row.RefreshToken;
        var stored = await writer.WriteAsync(async (tx, token) =>
        {
            var q = tx.Db.Set<OAuthConnection>().Where(c => c.AccountId == row.AccountId && c.Id == row.Id && c.Generation == generation
                                                            && (storingTokens || c.LeaseOwner == me));
            int updated;
            string action;
            object data;
            string statusAfter;
            if (outcome.Tokens is { } t)
            {
                var scopes = t.Scope ?? row.Scopes;
                updated = await q.ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.AccessToken, access).SetProperty(c => c.RefreshToken, refresh)
                    .SetProperty(c => c.ExpiresAt, t.ExpiresAt).SetProperty(c => c.TokenType, t.TokenType)
                    .SetProperty(c => c.Scopes, scopes).SetProperty(c => c.Status, ConnectionStatus.Active)
                    .SetProperty(c => c.Generation, c => c.Generation + 1)
                    .SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTime?)null)
                    .SetProperty(c => c.FailureCount, 0).SetProperty(c => c.FirstFailureAt, (DateTime?)null)
                    .SetProperty(c => c.NextAttemptAt, (DateTime?)null).SetProperty(c => c.LastError, (string?)null)
                    .SetProperty(c => c.RefreshedAt, now).SetProperty(c => c.UpdatedAt, now), token);
                statusAfter = ConnectionStatus.Active;
                action = row.AccessToken is null ? "oauth.token.issued" : "oauth.token.refreshed";
                data = new { audience.user_id, audience.trigger, rotated = t.RefreshToken is not null, expires_at = t.ExpiresAt, generation = row.Generation + 1 };
            }
            else
            {
                var f = outcome.Failure!;
                var failures = row.FailureCount + 1;
                var first = row.FirstFailureAt ?? now;
                var giveUp = f.Kind != TokenFailureKind.Transient || now - first >= O.GiveUpAfter;
                var status = f.Kind == TokenFailureKind.InvalidGrant ? ConnectionStatus.Expired
                    : giveUp ? ConnectionStatus.Error : row.Status;
                var backoff = TimeSpan.FromSeconds(Math.Min(O.MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures, 20))));
                DateTime? next = giveUp ? null : now + backoff;
                var keepTokens = f.Kind != TokenFailureKind.InvalidGrant;
                statusAfter = row.UserId.Length == 0 ? ConnectionStatus.Active : status;
                updated = await q.ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, statusAfter)
                    .SetProperty(c => c.AccessToken, c => keepTokens ? c.AccessToken : null)
                    .SetProperty(c => c.RefreshToken, c => keepTokens ? c.RefreshToken : null)
                    .SetProperty(c => c.Generation, c => c.Generation + 1)
                    .SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTime?)null)
                    .SetProperty(c => c.FailureCount, failures).SetProperty(c => c.FirstFailureAt, first)
                    .SetProperty(c => c.NextAttemptAt, next).SetProperty(c => c.LastError, f.Error)
                    .SetProperty(c => c.UpdatedAt, now), token);
                action = f.Kind == TokenFailureKind.InvalidGrant ? "oauth.connection.expired"
                    : giveUp ? "oauth.connection.error" : "oauth.refresh.failed";
                data = new { audience.user_id, audience.trigger, error = f.Error, failures, next_attempt_at = next };
            }
            // Another node stored newer tokens (or took over our expired lease after a failure); ours are discarded.
            if (updated == 0) return null;
            AuditLog.Record(tx.Db, actor, row.AccountId, action, row.ProjectId, app?.Provider.Name, row.Id.ToString(), data);
            // The first token of a connection is issued by the callback (connection.created); only a refresh reports here.
            var recovered = outcome.Tokens is not null && row.FailureCount > 0;
            if (outcome.Failure is not null || recovered)
                EventOutbox.Add(tx, new(recovered ? EventTypes.ConnectionRefreshRecovered : EventTypes.ConnectionRefreshFailed,
                    new EventData(row.AccountId, row.ProjectId)
                    {
                        IntegrationId = row.IntegrationId.ToString(), Provider = app?.Provider.Name, EndUserId = audience.user_id,
                        ConnectionId = row.Id.ToString(), PreviousStatus = row.Status,
                        Status = statusAfter,
                        Error = outcome.Failure?.Error,
                    }));
            if (outcome.Failure is { Kind: TokenFailureKind.Blocked, BlockedHost: { } blockedHost })
                AuditLog.OutboundBlocked(tx.Db, actor, row.AccountId, row.ProjectId, app?.Provider.Name, row.Id.ToString(), FeatureOf(app), blockedHost);
            await tx.Db.SaveChangesAsync(token);
            return action;
        }, ct);
        if (stored is not { } action)
        {
            logger.LogWarning("Refresh lease on connection {Id} was lost before the result was stored", row.Id);
            return Unavailable("The refresh took too long; retry.");
        }
        SwitchboardMetrics.RecordRefresh(action["oauth.".Length..]);
        logger.LogInformation("Connection {Id}: {Action}", row.Id, action);

        if (outcome.Tokens is { } ok)
            return CredentialResult.Of(new Credential(row.UserId, ok.AccessToken, ok.TokenType, ok.ExpiresAt, ok.Scope ?? row.Scopes, row.Generation + 1));
        var failure = outcome.Failure!;
        // A transient failure while the current token still works: serve it; the refresh is retried after the backoff.
        if (failure.Kind == TokenFailureKind.Transient && row.AccessToken is not null && (row.ExpiresAt is null || row.ExpiresAt > DateTime.UtcNow))
            return Open(row);
        return failure.Kind switch
        {
            TokenFailureKind.InvalidGrant => CredentialResult.Fail(CredentialFailureKind.ConnectionExpired, null,
                "The provider no longer accepts the refresh token; authorise again."),
            TokenFailureKind.Blocked => CredentialResult.Fail(CredentialFailureKind.OutboundBlocked, failure.BlockedHost ?? "?"),
            TokenFailureKind.Rejected => CredentialResult.Fail(CredentialFailureKind.ProviderRejected, failure.Error),
            _ => Unavailable($"The token request failed ({failure.Error}); it is retried with backoff."),
        };
    }

    /// <summary>What tried to reach the provider, for the outbound.blocked audit event.</summary>
    private static string FeatureOf(IntegrationApp? app) => app?.Provider.AuthType switch
    {
        AuthTypes.OAuth2 => "oauth.refresh",
        AuthTypes.OAuth2ClientCredentials => "oauth.client_credentials",
        AuthTypes.GoogleServiceAccount => "oauth.jwt_bearer",
        AuthTypes.AwsAssumeRole => "aws.assume_role",
        _ => "oauth.token",
    };

    private async Task<TokenOutcome> FetchAsync(IntegrationApp app, OAuthConnection row, CancellationToken ct)
    {
        var p = app.Provider;
        var scope = string.Join(p.Oauth?.ScopeSeparator ?? " ", p.Oauth?.DefaultScopes ?? []);
        // A token URL that cannot be built (e.g. a host param that is no host) fails the request like a refusal would.
        var tokenUrl = p.Oauth?.TokenUrl is { } template ? app.Url(template)?.AbsoluteUri : null;
        if (tokenUrl is null && p.AuthType is (AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials or AuthTypes.GoogleServiceAccount))
            return TokenOutcome.Fail(TokenFailureKind.Rejected, "invalid_provider_url");
        switch (p.AuthType)
        {
            case AuthTypes.OAuth2:
                var refresh = SealedFields.RefreshToken.Open(box, row);
                return await tokens.RefreshAsync(tokenUrl!, app.ClientId, app.ClientSecret, refresh, ct);
            case AuthTypes.OAuth2ClientCredentials:
                return await tokens.ClientCredentialsAsync(tokenUrl!, app.ClientId, app.ClientSecret, scope, ct);
            case AuthTypes.GoogleServiceAccount:
                var assertion = GoogleAssertion.Create(app.Param("client_email") ?? "", app.Secret("private_key") ?? "", scope, tokenUrl!,
                    DateTime.UtcNow, app.Param("subject"));
                return await tokens.JwtBearerAsync(tokenUrl!, assertion, ct);
            case AuthTypes.AwsAssumeRole:
                return await aws.AssumeAsync(app, ct);
            default:
                return TokenOutcome.Fail(TokenFailureKind.Rejected, "unsupported_auth_type");
        }
    }
}
