using Microsoft.EntityFrameworkCore;
using Switchboard.Data;

namespace Switchboard.Accounts;

public static class Bootstrap
{
    /// <summary>On an empty database: a default account, project and key, the key printed once to stdout.</summary>
    public static async Task RunAsync(SwitchboardDb db, ILogger logger, CancellationToken ct)
    {
        if (await db.Accounts.AnyAsync(ct)) return;
        var created = await AccountProvisioning.CreateAsync(db, "default", ct);
        logger.LogWarning("New database: created account {AccountId} with project {ProjectId} and API key {KeyId}",
            created.Account.Id, created.DefaultProject.Id, created.Key.Key.Id);
        // Printed, never logged: logs are shipped elsewhere, stdout of a first run is seen by the operator only.
        Console.Out.WriteLine($"""

            ================================================================
             Switchboard is ready. Your API key (shown once, keep it safe):

               {created.Key.Plaintext}

             account {created.Account.Id} · project {created.DefaultProject.Id}
             try: curl -H "Authorization: Bearer {created.Key.Plaintext[..16]}…" http://127.0.0.1:5080/api/v1/integrations
            ================================================================

            """);
    }
}
