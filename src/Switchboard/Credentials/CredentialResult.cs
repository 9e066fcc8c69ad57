using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Http;

namespace Switchboard.Credentials;

/// <summary>A usable token: an OAuth access token, or (AWS) the assumed role's credentials as JSON.</summary>
public sealed record Credential(string UserId, string AccessToken, string? TokenType, DateTime? ExpiresAt, string? Scopes, int Generation);

public enum CredentialFailureKind
{
    EncryptionUnavailable, UserNotFound, IntegrationNotActive, UnsupportedAuthType,
    ConnectionNotActive, ConnectionExpired, ProviderUnavailable, ProviderRejected, OutboundBlocked,
}

/// <summary>
/// Why no credential could be handed out. <see cref="Value"/> is what it is about (the user, the status, the
/// provider's error code, the refused host); <see cref="Detail"/> a sentence for the caller. Never a secret.
/// </summary>
public sealed record CredentialFailure(CredentialFailureKind Kind, string? Value = null, string? Detail = null)
{
    /// <summary>The stable problem of each failure (the same on every route that serves credentials).</summary>
    public ProblemHttpResult ToProblem() => Kind switch
    {
        CredentialFailureKind.EncryptionUnavailable => Problems.EncryptionUnavailable(),
        CredentialFailureKind.UserNotFound => Problems.NotFound("user", Value ?? ""),
        CredentialFailureKind.IntegrationNotActive => Problems.Make(409, "integration_not_active", "Integration not active",
            $"The integration is '{Value}'; credentials are only served for active integrations.",
            new Dictionary<string, object?> { ["integration_status"] = Value }),
        CredentialFailureKind.UnsupportedAuthType => Problems.BadRequest("unsupported_auth_type", "No token for this integration", Detail),
        CredentialFailureKind.ConnectionNotActive => Problems.Make(409, "connection_not_active", "Connection not active",
            $"The user's connection is '{Value}'; authorise again through a new auth URL.",
            new Dictionary<string, object?> { ["connection_status"] = Value }),
        CredentialFailureKind.ConnectionExpired => Problems.Make(409, "connection_expired", "Connection expired", Detail),
        CredentialFailureKind.ProviderRejected => Problems.Make(502, "provider_rejected", "Provider rejected the token request",
            $"The provider answered '{Value}'."),
        CredentialFailureKind.OutboundBlocked => Problems.OutboundBlocked(Value ?? "?"),
        _ => Problems.Make(503, "provider_unavailable", "Provider unavailable", Detail),
    };
}

/// <summary>A credential, a failure, or (for the background worker) neither: nothing was due.</summary>
public readonly record struct CredentialResult(Credential? Value, CredentialFailure? Failure)
{
    public static CredentialResult Of(Credential value) => new(value, null);
    public static CredentialResult Fail(CredentialFailureKind kind, string? value = null, string? detail = null) => new(null, new(kind, value, detail));
    public static readonly CredentialResult Nothing = new(null, null);
}
