using Switchboard.Store;

namespace Switchboard.Sealing;

/// <summary>
/// Every sealed column of the model, declared once: the table (the constant declared with its entity), the column,
/// and how the AAD is derived from the row, so that sealing, opening and re-wrapping can never disagree. A new
/// table with a secret adds its entity to Store/Model and one <see cref="SealedTable{T}"/> here; the rewrapper walks
/// <see cref="All"/> and names no table. A test checks that every binary column of the model is here or known not
/// to be secret.
/// </summary>
public static class SealedFields
{
    /// <summary>An install secret: bound to its account, integration and name.</summary>
    public static SecretContext SecretAad(string accountId, Guid integrationId, string name) =>
        new(accountId, IntegrationSecret.Table, integrationId.ToString(), name);

    /// <summary>An OAuth connection's token: bound to its account, connection and field (access_token, refresh_token).</summary>
    public static SecretContext TokenAad(string accountId, Guid connectionId, string field) =>
        new(accountId, OAuthConnection.Table, connectionId.ToString(), field);

    /// <summary>A PKCE code verifier: bound to its account and session.</summary>
    public static SecretContext VerifierAad(string accountId, Guid sessionId) =>
        new(accountId, OAuthSession.Table, sessionId.ToString(), "code_verifier");

    /// <summary>An MCP connection's header values (one JSON object): bound to its account and connection.</summary>
    public static SecretContext McpHeadersAad(string accountId, Guid connectionId) =>
        new(accountId, McpConnection.Table, connectionId.ToString(), "headers");

    /// <summary>A webhook endpoint's signing secret: bound to its account, endpoint and field (secret, previous_secret).</summary>
    public static SecretContext WebhookSecretAad(string accountId, Guid endpointId, string field) =>
        new(accountId, WebhookEndpoint.Table, endpointId.ToString(), field);

    public static readonly SealedColumn<IntegrationSecret> SecretValue =
        new("ciphertext", s => s.Ciphertext, s => SecretAad(s.AccountId, s.IntegrationId, s.Name));

    public static readonly SealedColumn<OAuthConnection> AccessToken =
        new("access_token", c => c.AccessToken, c => TokenAad(c.AccountId, c.Id, "access_token"));

    public static readonly SealedColumn<OAuthConnection> RefreshToken =
        new("refresh_token", c => c.RefreshToken, c => TokenAad(c.AccountId, c.Id, "refresh_token"));

    /// <summary>An end user's own API-key/basic credential (the secrets as a JSON object): bound to its account and connection.</summary>
    public static readonly SealedColumn<OAuthConnection> EndUserCredential =
        new("credential", c => c.Credential, c => TokenAad(c.AccountId, c.Id, "credential"));

    public static readonly SealedColumn<OAuthSession> CodeVerifier =
        new("code_verifier", s => s.CodeVerifier, s => VerifierAad(s.AccountId, s.Id));

    public static readonly SealedColumn<McpConnection> McpHeaders =
        new("headers", c => c.HeadersCiphertext, c => McpHeadersAad(c.AccountId, c.Id));

    public static readonly SealedColumn<WebhookEndpoint> WebhookSecret =
        new("secret", e => e.Secret, e => WebhookSecretAad(e.AccountId, e.Id, "secret"));

    public static readonly SealedColumn<WebhookEndpoint> WebhookPreviousSecret =
        new("previous_secret", e => e.PreviousSecret, e => WebhookSecretAad(e.AccountId, e.Id, "previous_secret"));

    public static readonly IReadOnlyList<ISealedTable> All =
    [
        // The key id is a column: rows still to re-wrap are found by an indexed query.
        new SealedTable<IntegrationSecret>(IntegrationSecret.Table, [SecretValue], keyId: s => s.KeyId),
        // A connection being refreshed (leased) is left alone: the refresher is about to replace its tokens.
        new SealedTable<OAuthConnection>(OAuthConnection.Table, [AccessToken, RefreshToken, EndUserCredential], busy: c => c.LeaseOwner != null),
        new SealedTable<OAuthSession>(OAuthSession.Table, [CodeVerifier]),
        new SealedTable<McpConnection>(McpConnection.Table, [McpHeaders]),
        new SealedTable<WebhookEndpoint>(WebhookEndpoint.Table, [WebhookSecret, WebhookPreviousSecret]),
    ];

    /// <summary>The token column a revocation hint names.</summary>
    public static SealedColumn<OAuthConnection> Token(string field) => field == "refresh_token" ? RefreshToken : AccessToken;
}
