using System.CommandLine;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.ApiKeys;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;
using Switchboard.Hosting;
using Switchboard.Hosting.Operations;

namespace Switchboard.Cli;

/// <summary>
/// The admin commands: migrate, accounts, keys, crypto. Each prints one JSON document on stdout. A command that names
/// an account, project or key that does not exist fails with exit code 1 and says so on stderr.
/// </summary>
public static class AdminCommands
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Migrate(CliEnvironment env)
    {
        var command = new Command("migrate", "Apply pending database migrations (waiting for the database like serve does), then exit.");
        command.SetAction((parse, ct) => WithServices(env, migrate: true, _ => Task.FromResult(Print(env, new { migrated = true }))));
        return command;
    }

    public static Command Accounts(CliEnvironment env)
    {
        var name = new Option<string>("--name") { Required = true, HelpName = "NAME", Description = "The account's display name." };
        var create = new Command("create", "Create an account with its default project and an API key with every scope (the key is shown once).") { name };
        create.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
        {
            var created = await AccountProvisioning.CreateAsync(sp.GetRequiredService<IStoreWriter>(), parse.GetRequiredValue(name), ct);
            return Print(env, new
            {
                account_id = created.Account.Id, project_id = created.DefaultProject.Id, api_key_id = created.Key.Key.Id, api_key = created.Key.Plaintext,
            });
        }));

        var list = new Command("list", "List the accounts (id, name, created_at).");
        list.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
            Print(env, await sp.GetRequiredService<SwitchboardDb>().Accounts.AsNoTracking().OrderBy(a => a.CreatedAt)
                .Select(a => new { account_id = a.Id, a.Name, created_at = a.CreatedAt }).ToListAsync(ct))));

        return new Command("accounts", "Create and list accounts.") { create, list };
    }

    public static Command Keys(CliEnvironment env)
    {
        var account = new Option<string>("--account") { Required = true, HelpName = "ACCOUNT_ID", Description = "The account (acc_…) the key belongs to." };
        var scopes = new Option<string>("--scopes")
        {
            Required = true,
            HelpName = "SCOPES",
            Description = $"Comma-separated scopes, of: {string.Join(", ", Scopes.All)} (admin implies all).",
        };
        scopes.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>() ?? "";
            var parsed = SplitScopes(value);
            if (parsed.Length == 0) result.AddError("--scopes needs at least one scope");
            else if (parsed.FirstOrDefault(s => !Scopes.IsKnown(s)) is { } bad)
                result.AddError($"unknown scope '{bad}' (scopes: {string.Join(", ", Scopes.All)})");
        });
        var project = new Option<string>("--project") { HelpName = "PROJECT_ID", Description = "Restrict the key to this project (prj_…) of the account." };
        var keyName = new Option<string>("--name") { HelpName = "NAME", Description = "A name to recognise the key by.", DefaultValueFactory = _ => "cli" };
        var create = new Command("create", "Create an API key (the value is printed once).") { account, scopes, project, keyName };
        create.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
        {
            var db = sp.GetRequiredService<SwitchboardDb>();
            var accountId = parse.GetRequiredValue(account);
            await RequireAccount(db, accountId, ct);
            var projectId = parse.GetValue(project);
            if (projectId is not null && !await db.Projects.AnyAsync(p => p.Id == projectId && p.AccountId == accountId, ct))
                throw new CliException($"no project '{projectId}' in account '{accountId}'");
            var granted = SplitScopes(parse.GetRequiredValue(scopes));
            var issued = await ApiKeyIssuer.IssueAsync(sp.GetRequiredService<IStoreWriter>(), accountId, projectId, parse.GetValue(keyName) ?? "cli", granted, ct);
            return Print(env, new { api_key_id = issued.Key.Id, account_id = accountId, project_id = projectId, scopes = granted, api_key = issued.Plaintext });
        }));

        var keyId = new Argument<string>("KEY_ID") { Description = "The key to revoke (key_…)." };
        var revoke = new Command("revoke", "Revoke an API key; every node refuses it within ApiKeyRevocationPollInterval.") { keyId };
        revoke.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
        {
            var id = parse.GetRequiredValue(keyId);
            if (await ApiKeyIssuer.RevokeAsync(sp.GetRequiredService<IStoreWriter>(), id, accountId: null, restrictedProjectId: null, actor: null, ct) is null)
                throw new CliException($"no key '{id}'");
            return Print(env, new { api_key_id = id, revoked = true });
        }));

        var listAccount = new Option<string>("--account") { Required = true, HelpName = "ACCOUNT_ID", Description = "The account (acc_…) whose keys to list." };
        var list = new Command("list", "List an account's API keys (never their values).") { listAccount };
        list.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
        {
            var db = sp.GetRequiredService<SwitchboardDb>();
            var accountId = parse.GetRequiredValue(listAccount);
            await RequireAccount(db, accountId, ct);
            var keys = await db.ApiKeys.AsNoTracking().Where(k => k.AccountId == accountId).OrderBy(k => k.CreatedAt).ToListAsync(ct);
            return Print(env, keys.Select(ApiKeyView.From));
        }));

        return new Command("keys", "Create, revoke and list API keys.") { create, revoke, list };
    }

    public static Command Crypto(CliEnvironment env)
    {
        var newKey = new Command("new-key", "Add a fresh key to the key file and make it active (restart the nodes, then run 'crypto rotate').");
        newKey.SetAction((parse, ct) => WithServices(env, migrate: false, sp =>
        {
            var options = sp.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Crypto;
            if (!string.IsNullOrWhiteSpace(options.Keys))
                throw new CliException("keys come from Switchboard__Crypto__Keys; add the new key there and set ActiveKeyId");
            if (!File.Exists(options.KeyFile)) throw new CliException($"no key file at '{options.KeyFile}'");
            var id = KeyRing.AddKeyToFile(options.KeyFile);
            return Task.FromResult(Print(env, new { active_key_id = id, key_file = Path.GetFullPath(options.KeyFile), next = "restart the service, then run: crypto rotate" }));
        }));

        var batch = new Option<int>("--batch") { HelpName = "N", Description = "Rows re-encrypted per transaction.", DefaultValueFactory = _ => 200 };
        batch.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--batch must be at least 1");
        });
        var rotate = new Command("rotate", "Re-encrypt every stored secret to the active key (safe to interrupt and run again).") { batch };
        rotate.SetAction((parse, ct) => WithServices(env, migrate: true, async sp =>
        {
            var box = sp.GetRequiredService<SecretBox>();
            if (!box.IsAvailable) throw new CliException("encryption unavailable: " + box.Ring.Problem);
            var report = await Rewrapper.RunAsync(sp.GetRequiredService<SwitchboardDb>(), sp.GetRequiredService<IStoreWriter>(), box, parse.GetValue(batch));
            return Print(env, new { active_key_id = box.Ring.ActiveKeyId, rewrapped = report.Rewrapped, remaining = report.Remaining });
        }));

        return new Command("crypto", "Manage the encryption keys.") { newKey, rotate };
    }

    private static string[] SplitScopes(string value) => value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task RequireAccount(SwitchboardDb db, string accountId, CancellationToken ct)
    {
        if (!await db.Accounts.AnyAsync(a => a.Id == accountId, ct)) throw new CliException($"no account '{accountId}'");
    }

    /// <summary>
    /// Runs <paramref name="work"/> with the services of a host built for this command (never started), or with the
    /// test's services. Commands that use the database wait for it and apply migrations first.
    /// </summary>
    private static async Task<int> WithServices(CliEnvironment env, bool migrate, Func<IServiceProvider, Task<int>> work)
    {
        WebApplication? app = null;
        var services = env.Services;
        try
        {
            if (services is null)
            {
                var builder = ServeCommand.CreateBuilder(env, [], forAdminCommand: true);
                builder.AddSwitchboard();
                app = builder.Build();
                SettingsCheck.VerifyRules(app.Services);
                services = app.Services;
            }
            await using var scope = services.CreateAsyncScope();
            if (migrate)
            {
                var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
                var options = scope.ServiceProvider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Database;
                var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard.Database");
                await DatabaseStartup.WaitAndPrepareAsync(db, options, logger);
                await StoreServices.MigrateAsync(db);
            }
            return await work(scope.ServiceProvider);
        }
        catch (StartupFailedException e)
        {
            throw new CliException(e.Message);
        }
        finally
        {
            if (app is not null) await app.DisposeAsync();
        }
    }

    private static int Print(CliEnvironment env, object value)
    {
        env.Out.WriteLine(JsonSerializer.Serialize(value, Json));
        env.Out.Flush();
        return SwitchboardCli.Ok;
    }
}
