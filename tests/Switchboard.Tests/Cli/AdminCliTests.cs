using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Cli;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Cli;

/// <summary>Runs the admin commands of the executable against the fixture's database and reads their JSON output.</summary>
public sealed class AdminCliTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private async Task<(int Code, string Out)> Run(params string[] args)
    {
        var (code, output, _) = await RunWithErrors(args);
        return (code, output);
    }

    private async Task<(int Code, string Out, string Err)> RunWithErrors(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await SwitchboardCli.RunAsync(args, app.Services, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task Accounts_create_prints_the_account_its_project_and_a_working_key()
    {
        var (code, output) = await Run("accounts", "create", "--name", "cli-co");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.StartsWith("acc_", json["account_id"]!.GetValue<string>());
        Assert.StartsWith("prj_", json["project_id"]!.GetValue<string>());
        var key = json["api_key"]!.GetValue<string>();
        await (await app.ClientWithKey(key).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Keys_create_with_scopes_and_keys_revoke()
    {
        var account = await app.CreateAccountAsync();
        var (code, output) = await Run("keys", "create", "--account", account.AccountId, "--scopes", "read");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        var client = app.ClientWithKey(json["api_key"]!.GetValue<string>());
        await (await client.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");

        var (revokeCode, _) = await Run("keys", "revoke", json["api_key_id"]!.GetValue<string>());
        Assert.Equal(0, revokeCode);
        // The key was cached by the request above; the node sees a revocation made elsewhere within its poll interval.
        var status = HttpStatusCode.OK;
        for (var i = 0; i < 50 && status != HttpStatusCode.Unauthorized; i++)
        {
            await Task.Delay(100);
            status = (await client.GetAsync("/api/v1/mcp-connections")).StatusCode;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Bad_arguments_exit_2_and_change_nothing()
    {
        var account = await app.CreateAccountAsync();
        var before = await app.WithDbAsync(db => db.ApiKeys.CountAsync());
        Assert.Equal(2, (await Run("keys", "create", "--account", account.AccountId, "--scopes", "root")).Code);
        Assert.Equal(2, (await Run("keys", "create", "--account", account.AccountId, "--scopes", ",")).Code);
        Assert.Equal(2, (await Run("keys", "create", "--scopes", "read")).Code);
        Assert.Equal(2, (await Run("accounts", "create")).Code);
        Assert.Equal(2, (await Run("keys", "frobnicate")).Code);
        Assert.Equal(2, (await Run("crypto", "rotate", "--batch", "0")).Code);
        Assert.Equal(before, await app.WithDbAsync(db => db.ApiKeys.CountAsync()));
    }

    [Fact]
    public async Task Naming_an_account_project_or_key_that_does_not_exist_exits_1_with_a_message_and_changes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var other = await app.CreateAccountAsync("other");
        var before = await app.WithDbAsync(db => db.ApiKeys.CountAsync());

        var create = await RunWithErrors("keys", "create", "--account", "acc_nope", "--scopes", "read");
        Assert.Equal((1, ""), (create.Code, create.Out));
        Assert.Equal("error: no account 'acc_nope'", create.Err.Trim());

        var project = await RunWithErrors("keys", "create", "--account", account.AccountId, "--scopes", "read", "--project", other.ProjectId);
        Assert.Equal(1, project.Code);
        Assert.Equal($"error: no project '{other.ProjectId}' in account '{account.AccountId}'", project.Err.Trim());

        var list = await RunWithErrors("keys", "list", "--account", "acc_nope");
        Assert.Equal((1, ""), (list.Code, list.Out));
        Assert.Equal("error: no account 'acc_nope'", list.Err.Trim());

        var revoke = await RunWithErrors("keys", "revoke", "key_nope");
        Assert.Equal(1, revoke.Code);
        Assert.Equal("error: no key 'key_nope'", revoke.Err.Trim());

        Assert.Equal(before, await app.WithDbAsync(db => db.ApiKeys.CountAsync()));
        // The account that exists lists its key.
        var (code, output) = await Run("keys", "list", "--account", account.AccountId);
        Assert.Equal(0, code);
        Assert.Single(JsonNode.Parse(output)!.AsArray());
    }

    [Fact]
    public async Task Crypto_rotate_reports_what_it_rewrapped()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/integrations/openai/install", new { secrets = new { api_key = "sk-CLICLICLICLICLICLICLICLI" } })).ShouldBe(HttpStatusCode.OK);
        var (code, output) = await Run("crypto", "rotate");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("k2", json["active_key_id"]!.GetValue<string>());
        Assert.Equal(0, json["remaining"]!.GetValue<int>());
    }
}
