using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Tenancy;

public static class Bootstrap
{
    /// <summary>On an empty database: a default account, project and key. Returns them (for the banner), or null.</summary>
    public static async Task<ProvisionedAccount?> RunAsync(IStoreWriter writer, ILogger logger, CancellationToken ct)
    {
        var created = await writer.WriteAsync(async (tx, token) =>
            await tx.Db.Accounts.AnyAsync(token) ? null : await AccountProvisioning.CreateAsync(tx.Db, "default", token), ct);
        if (created is null) return null;
        logger.LogWarning("New database: created account {AccountId} with project {ProjectId} and API key {KeyId}",
            created.Account.Id, created.DefaultProject.Id, created.Key.Key.Id);
        return created;
    }

    /// <summary>The banner printed once the server listens (Hosting/Operations/StartupBanner): the curl line works when pasted.</summary>
    public static string Banner(ProvisionedAccount created, IReadOnlyList<string> addresses)
    {
        var url = addresses.Count == 0 ? null : Reachable(addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses[0]);
        var lines = new List<string>
        {
            "",
            "================================================================",
            " Switchboard is ready. Your API key (shown once, keep it safe):",
            "",
            "   " + created.Key.Plaintext,
            "",
            $" account {created.Account.Id} · project {created.DefaultProject.Id}",
        };
        if (addresses.Count > 0) lines.Add($" listening on {string.Join(", ", addresses)}");
        if (url is not null) lines.Add($" try: curl -H \"Authorization: Bearer {created.Key.Plaintext}\" {url}/api/v1/integrations");
        lines.Add("================================================================");
        lines.Add("");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>A bound address a local client can use: the wildcard hosts become the loopback address.</summary>
    public static string Reachable(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)) return address.TrimEnd('/');
        var host = uri.Host switch
        {
            "0.0.0.0" or "+" or "*" => "127.0.0.1",
            "[::]" or "::" => "[::1]",
            _ => null,
        };
        if (host is null) return address.TrimEnd('/');
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }
}
