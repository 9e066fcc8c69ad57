using Switchboard.Store;

namespace Switchboard.Sealing;

/// <summary>The AAD of a connection's token fields.</summary>
public readonly record struct SecretContextFor(string AccountId, Guid Id)
{
    public SecretContext Field(string field) => new(AccountId, OAuthConnection.Table, Id.ToString(), field);
}

public static class ConnectionSecrets
{
    public static SecretContextFor Context(this OAuthConnection c) => new(c.AccountId, c.Id);
}
