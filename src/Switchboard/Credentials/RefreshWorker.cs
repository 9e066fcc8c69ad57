using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>
/// Refreshes end-user tokens before they expire. Every node may run it: each refresh goes through the same lease
/// as a credential read, so a token is refreshed once whichever node (or reader) gets there first.
/// The scan is across accounts by design; each refresh then acts within the row's account.
/// </summary>
public sealed class RefreshWorker(IServiceScopeFactory scopes, CredentialService credentials, IOptions<OAuthOptions> options,
    ILogger<RefreshWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WorkerEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning(e, "Token refresh scan failed"); }
            try { await Task.Delay(options.Value.WorkerInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var now = DateTime.UtcNow;
        var horizon = now + o.ProactiveMargin;
        var due = await db.Set<OAuthConnection>().AsNoTracking()
            .Where(c => c.Status == ConnectionStatus.Active && c.UserId != "" && c.RefreshToken != null
                        && c.ExpiresAt != null && c.ExpiresAt < horizon
                        && (c.NextAttemptAt == null || c.NextAttemptAt <= now)
                        && (c.LeaseUntil == null || c.LeaseUntil < now))
            .OrderBy(c => c.ExpiresAt).Take(100)
            .Select(c => new { c.AccountId, c.Id })
            .ToListAsync(ct);
        foreach (var c in due)
            await credentials.GetAsync(db, AuditActor.System, c.AccountId, c.Id, o.ProactiveMargin, CredentialService.Trigger.Worker, ct);
        return due.Count;
    }
}
