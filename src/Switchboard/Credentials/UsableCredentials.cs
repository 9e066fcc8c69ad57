using System.Text.Json.Nodes;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Sealing;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>
/// What a request made on an install's behalf carries: the install (params and decrypted secrets, for API-key and
/// Basic providers and for templates such as Twilio's account SID in a path) and, for token auth types, a usable token
/// (the end user's OAuth token, or the integration's machine token; for AWS the assumed role's credentials as JSON).
/// </summary>
public sealed record UsableCredential(IntegrationApp App, Credential? Token);

/// <summary>
/// The usable credential of an active integration for one end user. Tokens come through <see cref="CredentialService"/>
/// (the lease- and generation-coordinated refresh, as for …/credentials) without its credentials.read event: the
/// caller audits the use. Failures are result values.
/// </summary>
public sealed class UsableCredentials(SecretBox box, CredentialService credentials, IntegrationReads reads)
{
    /// <summary>The integration row in its tenant, with its sealed secrets; null when there is none.</summary>
    public Task<Integration?> FindInstallAsync(SwitchboardDb db, string accountId, string projectId, string provider, CancellationToken ct) =>
        reads.FindInstallAsync(db, accountId, projectId, provider, ct);

    /// <summary><paramref name="row"/> must be loaded with its secrets (<see cref="FindInstallAsync"/>).</summary>
    public async Task<(UsableCredential? Credential, CredentialFailure? Failure)> ForAsync(SwitchboardDb db, Integration row,
        ProviderDefinition provider, string userId, AuditActor actor, CancellationToken ct)
    {
        if (row.Status != IntegrationStatus.Active) return (null, new(CredentialFailureKind.IntegrationNotActive, row.Status));
        if (row.Secrets.Count > 0 && !box.IsAvailable) return (null, new(CredentialFailureKind.EncryptionUnavailable));
        var secrets = row.Secrets.ToDictionary(s => s.Name, s => SealedFields.SecretValue.Open(box, s), StringComparer.Ordinal);
        var app = new IntegrationApp(row, provider, JsonNode.Parse(row.ParamsJson) as JsonObject ?? [], secrets);
        if (provider.AuthType != AuthTypes.OAuth2 && !CredentialService.HasMachineToken(provider.AuthType)) return (new(app, null), null);
        var token = await credentials.ForUserAsync(db, row, provider, userId, actor, ct, audit: false);
        return token.Value is null ? (null, token.Failure ?? new(CredentialFailureKind.ProviderUnavailable)) : (new(app, token.Value), null);
    }
}
