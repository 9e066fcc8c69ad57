using Switchboard.Store;

namespace Switchboard.Tenancy;

public sealed record ProvisionedAccount(Account Account, Project DefaultProject, IssuedKey Key);

public static class AccountProvisioning
{
    /// <summary>An account, its default project and a first API key with every scope, in one write.</summary>
    public static Task<ProvisionedAccount> CreateAsync(IStoreWriter writer, string name, CancellationToken ct) =>
        writer.WriteAsync((tx, token) => CreateAsync(tx.Db, name, token), ct);

    /// <summary>The same inside a caller's write.</summary>
    public static async Task<ProvisionedAccount> CreateAsync(SwitchboardDb db, string name, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var account = new Account { Id = Ids.New("acc"), Name = name, CreatedAt = now };
        var project = new Project { Id = Ids.New("prj"), AccountId = account.Id, Name = "default", IsDefault = true, CreatedAt = now, UpdatedAt = now };
        db.Accounts.Add(account);
        db.Projects.Add(project);
        var key = ApiKeyIssuer.Issue(db, account.Id, null, "default", Scopes.All);
        await db.SaveChangesAsync(ct);
        return new ProvisionedAccount(account, project, key);
    }
}
