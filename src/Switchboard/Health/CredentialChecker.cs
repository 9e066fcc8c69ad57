using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http.Outbound;
using Switchboard.Sealing;
using Switchboard.Store;

namespace Switchboard.Health;

/// <summary>
/// Runs one integration's verification request and records health_status, last_synced_at and error_message.
/// Neither the provider's response body nor any secret is logged or stored; errors are described by status code.
/// </summary>
public sealed class CredentialChecker(
    IServiceScopeFactory scopes,
    OutboundHttp outbound,
    AccountCatalog catalog,
    SecretBox box,
    IntegrationStore store,
    IOptions<HealthOptions> options,
    ILogger<CredentialChecker> logger) : IPostInstallHook
{
    /// <summary>
    /// Right after an install has committed. Never throws: the install stands whatever the provider says.
    /// Health:Enabled=false turns it off as well as the periodic checks (with no route to the provider, each install would
    /// otherwise wait out the check's timeout inside its request).
    /// </summary>
    public async Task AfterInstallAsync(string accountId, Guid integrationId, AuditActor actor, CancellationToken ct)
    {
        if (!options.Value.Enabled || !options.Value.CheckOnInstall) return;
        try
        {
            await CheckAsync(accountId, integrationId, scheduleNext: true, actor, ct);
        }
        catch (Exception e)
        {
            // Including cancellation: the install has committed and its answer (and idempotency record) must stand.
            logger.LogWarning("Install-time credential check of integration {IntegrationId} failed: {Error}", integrationId, e.GetType().Name);
        }
    }

    /// <summary>
    /// Verifies and records the result; null when the integration is not in this account. A change of health_status is
    /// audited (integration.health_changed), by the caller or as "system".
    /// </summary>
    public async Task<HealthResult?> CheckAsync(string accountId, Guid integrationId, bool scheduleNext, AuditActor actor, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var row = await db.Integrations.AsNoTracking().Include(i => i.Secrets)
            .FirstOrDefaultAsync(i => i.AccountId == accountId && i.Id == integrationId, ct);
        if (row is null) return null;

        var result = await VerifyAsync(db, row, ct);
        DateTime? next = scheduleNext ? DateTime.UtcNow + options.Value.Interval : null;
        await store.RecordHealthAsync(row, row.HealthStatus ?? HealthStatuses.Unknown, result.Status, result.ErrorMessage, result.BlockedHost,
            next, actor, ct);
        return result;
    }

    private async Task<HealthResult> VerifyAsync(SwitchboardDb db, Integration row, CancellationToken ct)
    {
        var provider = await catalog.FindAsync(db, row.AccountId, row.Provider, ct);
        if (provider is null) return new(HealthStatuses.Unknown, "The provider is no longer in the catalog.");
        if (provider.Verify is null) return new(HealthStatuses.Unknown, null);

        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (row.Secrets.Count > 0)
        {
            if (!box.IsAvailable) return new(HealthStatuses.Unknown, "Secrets cannot be decrypted: encryption is unavailable.");
            try
            {
                foreach (var s in row.Secrets)
                    secrets[s.Name] = SealedFields.SecretValue.Open(box, s);
            }
            catch (Exception e) when (e is CryptographicException or EncryptionUnavailableException)
            {
                return new(HealthStatuses.Unknown, "Secrets cannot be decrypted.");
            }
        }

        var parameters = JsonNode.Parse(row.ParamsJson) as JsonObject ?? [];
        var (request, notVerifiable) = VerificationRequest.Build(provider, row.BaseUrlOverride, parameters, secrets);
        if (request is null) return notVerifiable!;

        using (request)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(options.Value.Timeout);
            try
            {
                using var response = await outbound.CreateClient()
                    .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                var expected = provider.Verify.ExpectStatus is { Count: > 0 } list ? list.Contains(status) : status is >= 200 and < 300;
                return expected ? new(HealthStatuses.Healthy, null) : new(HealthStatuses.Unhealthy, $"verification returned HTTP {status}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new(HealthStatuses.Unknown, "verification request timed out");
            }
            catch (OutboundBlockedException e)
            {
                return new(HealthStatuses.Unknown,
                    $"verification request refused: {e.Host} is not an allowed destination (loopback, private or internal address)", e.Host);
            }
            catch (HttpRequestException)
            {
                // The exception text may name the URL, which can hold a secret (e.g. an account id in the path).
                return new(HealthStatuses.Unknown, "verification request failed: provider unreachable");
            }
        }
    }
}
