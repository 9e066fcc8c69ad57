using Switchboard.Audit;

namespace Switchboard.Store;

/// <summary>
/// Runs after an API install has committed (the credential health check implements it). It must not throw: the install
/// stands, and its answer (and idempotency record) with it, whatever a follow-up does.
/// </summary>
public interface IPostInstallHook
{
    Task AfterInstallAsync(string accountId, Guid integrationId, AuditActor actor, CancellationToken ct);
}
