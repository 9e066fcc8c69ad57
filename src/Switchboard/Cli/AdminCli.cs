using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.ApiKeys;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Cli;

/// <summary>
/// The admin commands of the same executable:
///   migrate | accounts create --name N | accounts list
///   keys create --account ID --scopes a,b [--project P] [--name N] | keys revoke ID | keys list --account ID
///   crypto new-key | crypto rotate [--batch N]
/// Output is JSON on stdout; errors go to stderr with exit code 2.
/// </summary>
public static class AdminCli
{
    private static readonly string[] Commands = ["migrate", "accounts", "keys", "crypto"];
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<SwitchboardDb>();
        try
        {
            if (args[0] != "crypto" || args.ElementAtOrDefault(1) != "new-key") await StoreServices.MigrateAsync(db);
            return (args[0], args.ElementAtOrDefault(1)) switch
            {
                ("migrate", _) => Print(new { migrated = true }),
                ("accounts", "create") => await CreateAccount(sp.GetRequiredService<IStoreWriter>(), args),
                ("accounts", "list") => Print(await db.Accounts.AsNoTracking().OrderBy(a => a.CreatedAt).Select(a => new { account_id = a.Id, a.Name, created_at = a.CreatedAt }).ToListAsync()),
                ("keys", "create") => await CreateKey(db, sp.GetRequiredService<IStoreWriter>(), args),
                ("keys", "revoke") => await RevokeKey(sp.GetRequiredService<IStoreWriter>(), args),
                ("keys", "list") => await ListKeys(db, args),
                ("crypto", "new-key") => NewKey(sp),
                ("crypto", "rotate") => await Rotate(db, sp, args),
                _ => Usage(),
            };
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 2;
        }
    }

    private static async Task<int> CreateAccount(IStoreWriter writer, string[] args)
    {
        var name = Option(args, "--name") ?? throw new CliException("accounts create needs --name NAME");
        var created = await AccountProvisioning.CreateAsync(writer, name, CancellationToken.None);
        return Print(new { account_id = created.Account.Id, project_id = created.DefaultProject.Id, api_key_id = created.Key.Key.Id, api_key = created.Key.Plaintext });
    }

    private static async Task<int> CreateKey(SwitchboardDb db, IStoreWriter writer, string[] args)
    {
        var accountId = Option(args, "--account") ?? throw new CliException("keys create needs --account ID");
        var scopes = (Option(args, "--scopes") ?? throw new CliException($"keys create needs --scopes (of: {string.Join(",", Scopes.All)})"))
            .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (scopes.FirstOrDefault(s => !Scopes.IsKnown(s)) is { } bad) throw new CliException($"unknown scope '{bad}'");
        if (!await db.Accounts.AnyAsync(a => a.Id == accountId)) throw new CliException($"no account '{accountId}'");
        var projectId = Option(args, "--project");
        if (projectId is not null && !await db.Projects.AnyAsync(p => p.Id == projectId && p.AccountId == accountId))
            throw new CliException($"no project '{projectId}' in account '{accountId}'");
        var issued = await ApiKeyIssuer.IssueAsync(writer, accountId, projectId, Option(args, "--name") ?? "cli", scopes, CancellationToken.None);
        return Print(new { api_key_id = issued.Key.Id, account_id = accountId, project_id = projectId, scopes, api_key = issued.Plaintext });
    }

    private static async Task<int> RevokeKey(IStoreWriter writer, string[] args)
    {
        var id = args.ElementAtOrDefault(2) ?? throw new CliException("keys revoke needs a key id");
        if (await ApiKeyIssuer.RevokeAsync(writer, id, accountId: null, restrictedProjectId: null, actor: null, CancellationToken.None) is null)
            throw new CliException($"no key '{id}'");
        return Print(new { api_key_id = id, revoked = true });
    }

    private static async Task<int> ListKeys(SwitchboardDb db, string[] args)
    {
        var accountId = Option(args, "--account") ?? throw new CliException("keys list needs --account ID");
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.AccountId == accountId).OrderBy(k => k.CreatedAt).ToListAsync();
        return Print(keys.Select(ApiKeyView.From));
    }

    private static int NewKey(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Crypto;
        if (!string.IsNullOrWhiteSpace(options.Keys))
            throw new CliException("keys come from Switchboard__Crypto__Keys; add the new key there and set ActiveKeyId");
        if (!File.Exists(options.KeyFile)) throw new CliException($"no key file at '{options.KeyFile}'");
        var id = KeyRing.AddKeyToFile(options.KeyFile);
        return Print(new { active_key_id = id, key_file = Path.GetFullPath(options.KeyFile), next = "restart the service, then run: crypto rotate" });
    }

    private static async Task<int> Rotate(SwitchboardDb db, IServiceProvider sp, string[] args)
    {
        var box = sp.GetRequiredService<SecretBox>();
        if (!box.IsAvailable) throw new CliException("encryption unavailable: " + box.Ring.Problem);
        var batch = int.TryParse(Option(args, "--batch"), out var b) && b > 0 ? b : 200;
        var report = await Rewrapper.RunAsync(db, sp.GetRequiredService<IStoreWriter>(), box, batch);
        return Print(new { active_key_id = box.Ring.ActiveKeyId, rewrapped = report.Rewrapped, remaining = report.Remaining });
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Print(object value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: switchboard <command>
              migrate
              accounts create --name NAME
              accounts list
              keys create --account ACCOUNT_ID --scopes read,integrations:write[,credentials:read,admin] [--project PROJECT_ID] [--name NAME]
              keys revoke KEY_ID
              keys list --account ACCOUNT_ID
              crypto new-key            add a fresh key to the key file and make it active
              crypto rotate [--batch N] re-encrypt every secret to the active key (safe to interrupt and re-run)
            """);
        return 2;
    }

    private sealed class CliException(string message) : Exception(message);
}
