using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>Turns a checked install body into the write: the secrets sealed to their integration, nothing of the request kept.</summary>
public static class InstallCommands
{
    /// <summary>Seals the secrets (callers check <see cref="SecretBox.IsAvailable"/> first when there are any).</summary>
    public static InstallCommand Prepare(AuditActor actor, string accountId, string projectId, ProviderDefinition provider,
        InstallRequest install, SecretBox box, BaseUrlOverride? baseUrl = null, AllowedRedirectOrigins? redirectOrigins = null)
    {
        var integrationId = IntegrationIds.For(projectId, provider.Name);
        var secrets = install.Secrets?.Select(s =>
        {
            var context = SealedFields.SecretAad(accountId, integrationId, s.Key);
            return new SealedSecret(s.Key, box.EncryptString(s.Value, context), box.Ring.ActiveKeyId!, box.Fingerprint(s.Value, context));
        }).ToList();
        return new InstallCommand(accountId, projectId, provider.Name, integrationId, provider.InstallRequirements(), install.Params, secrets,
            actor, baseUrl is { Present: true }, baseUrl?.Value, redirectOrigins);
    }
}
