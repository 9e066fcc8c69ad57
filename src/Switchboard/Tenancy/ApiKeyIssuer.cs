using Switchboard.Store;

namespace Switchboard.Tenancy;

public sealed record IssuedKey(ApiKey Key, string Plaintext);

public static class ApiKeyIssuer
{
    /// <summary>Adds a new key to the context (caller saves); the plaintext exists only in the return value.</summary>
    public static IssuedKey Issue(SwitchboardDb db, string accountId, string? projectId, string name, IEnumerable<string> scopes)
    {
        var plaintext = ApiKeyFormat.Generate(accountId);
        var key = new ApiKey
        {
            Id = Ids.New("key"),
            AccountId = accountId,
            ProjectId = projectId,
            Name = name,
            DisplayPrefix = ApiKeyFormat.Display(plaintext),
            Hash = ApiKeyFormat.Hash(plaintext),
            Scopes = string.Join(' ', scopes.Distinct(StringComparer.Ordinal)),
            CreatedAt = DateTime.UtcNow,
        };
        db.ApiKeys.Add(key);
        return new IssuedKey(key, plaintext);
    }
}
