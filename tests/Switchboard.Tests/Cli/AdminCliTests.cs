using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Cli;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Cli;

[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>Runs the admin commands of the executable against the fixture's database and reads their JSON output.</summary>
[Collection("console")]
public sealed class AdminCliTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private async Task<(int Code, string Out)> Run(params string[] args)
    {
        var original = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try { return (await AdminCli.RunAsync(app.Services, args), writer.ToString()); }
        finally { Console.SetOut(original); }
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
        var before = await app.WithDbAsync(db => db.ApiKeys.CountAsync());
        Assert.Equal(2, (await Run("keys", "create", "--account", "acc_nope", "--scopes", "read")).Code);
        Assert.Equal(2, (await Run("keys", "create", "--account", "acc_nope", "--scopes", "root")).Code);
        Assert.Equal(2, (await Run("accounts", "create")).Code);
        Assert.Equal(2, (await Run("keys", "frobnicate")).Code);
        Assert.Equal(before, await app.WithDbAsync(db => db.ApiKeys.CountAsync()));
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
