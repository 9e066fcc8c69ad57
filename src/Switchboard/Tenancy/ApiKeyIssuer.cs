using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Store;

namespace Switchboard.Tenancy;

public sealed record IssuedKey(ApiKey Key, string Plaintext);

/// <summary>Creating and revoking API keys: the endpoints, the CLI and the first-start bootstrap share these.</summary>
public static class ApiKeyIssuer
{
    /// <summary>Adds a new key to the work's context (the work saves); the plaintext exists only in the return value.</summary>
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

    /// <summary>A key in a write of its own (the CLI).</summary>
    public static Task<IssuedKey> IssueAsync(IStoreWriter writer, string accountId, string? projectId, string name, IEnumerable<string> scopes,
        CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) =>
        {
            var issued = Issue(tx.Db, accountId, projectId, name, scopes);
            await tx.Db.SaveChangesAsync(token);
            return issued;
        }, ct);

    /// <summary>
    /// Revokes key <paramref name="keyId"/> of <paramref name="accountId"/> (any account's when null: the operator's CLI)
    /// once, and audits it when an actor is given; returns the key, or null when there is none. Caches on other nodes
    /// drop it within the revocation poll interval (<see cref="ApiKeyRevocationWatcher"/>); the caller drops this node's.
    /// </summary>
    public static Task<ApiKey?> RevokeAsync(IStoreWriter writer, string keyId, string? accountId, string? restrictedProjectId, AuditActor? actor,
        CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) =>
        {
            var key = await tx.Db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && (accountId == null || k.AccountId == accountId)
                && (restrictedProjectId == null || k.ProjectId == restrictedProjectId), token);
            if (key is null || key.RevokedAt is not null) return key;
            key.RevokedAt = DateTime.UtcNow;
            if (actor is not null) AuditLog.Record(tx.Db, actor, key.AccountId, "api_key.revoked", key.ProjectId, targetId: key.Id);
            await tx.Db.SaveChangesAsync(token);
            return key;
        }, ct);
}
