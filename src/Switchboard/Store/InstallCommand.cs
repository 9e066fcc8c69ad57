using System.Text.Json.Nodes;
using Switchboard.Audit;
using Switchboard.Http;

namespace Switchboard.Store;

/// <summary>
/// An install ready to write: parsed, secrets already sealed, the actor noted. Nothing in it refers to the request.
/// Integration ids are derived from (project, provider), so the secrets are sealed to their record before the write.
/// A group left null (Params, Secrets) keeps what is stored; SetsBaseUrl/RedirectOrigins.Present say whether those are set.
/// </summary>
public sealed record InstallCommand(string AccountId, string ProjectId, string Provider, Guid IntegrationId, InstallRequirements Required,
    JsonObject? Params, IReadOnlyList<SealedSecret>? Secrets, AuditActor Actor,
    bool SetsBaseUrl = false, string? BaseUrl = null, AllowedRedirectOrigins? RedirectOrigins = null);

/// <summary>An install secret as stored: the envelope ciphertext, the key it is wrapped with, its fingerprint.</summary>
public sealed record SealedSecret(string Name, byte[] Ciphertext, string KeyId, string Fingerprint);

/// <summary>What an install did: the stored integration, or the required fields still missing (nothing written).</summary>
public sealed record InstallOutcome(InstalledRow? Row, List<FieldError> Missing);

/// <summary>The params and secrets a provider requires; checked against the result of an install (body merged over what is kept).</summary>
public sealed record InstallRequirements(IReadOnlyList<string> Params, IReadOnlyList<string> Secrets)
{
    public IEnumerable<FieldError> Missing(JsonObject finalParams, IEnumerable<string> finalSecretNames)
    {
        var secretNames = finalSecretNames.ToHashSet(StringComparer.Ordinal);
        foreach (var name in Params.Where(n => !finalParams.ContainsKey(n)))
            yield return new($"params.{name}", "required", $"{name} is required.");
        foreach (var name in Secrets.Where(n => !secretNames.Contains(n)))
            yield return new($"secrets.{name}", "required", $"{name} is required.");
    }
}
