using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The built executable in an empty directory, as an operator types it. Help, --version and mistakes start nothing:
/// no database file, no key file (in Development, where a key file would be created on first use), exit 0 or 2.
/// </summary>
public sealed class CliProcessTests
{
    /// <summary>Development: the environment where touching the key ring creates ./data/master-keys.json.</summary>
    private static readonly Dictionary<string, string?> Development = new() { ["ASPNETCORE_ENVIRONMENT"] = "Development" };

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("serve", "--help")]
    [InlineData("migrate", "--help")]
    [InlineData("help", "migrate")]
    [InlineData("keys", "create", "--help")]
    [InlineData("help", "crypto", "rotate")]
    public async Task Help_prints_and_exits_0_without_touching_the_database_or_the_key_file(params string[] args)
    {
        using var dir = new TempDirectory();
        var (code, output, errors) = await Executable.RunAsync(dir.Path, Development, args);
        Assert.True(code == 0, $"exit {code}: {errors}");
        Assert.Contains("Usage:", output);
        Assert.Contains("Description:", output);
        Assert.Empty(errors);
        Assert.Empty(dir.Entries());
        Assert.DoesNotContain("Now listening", output);
    }

    [Fact]
    public async Task Every_command_has_its_own_help_with_descriptions()
    {
        using var dir = new TempDirectory();
        var (_, root, _) = await Executable.RunAsync(dir.Path, Development, ["--help"]);
        foreach (var command in new[] { "serve", "migrate", "accounts", "keys", "crypto", "help" }) Assert.Contains("  " + command, root);
        Assert.Contains("--version", root);

        var (_, keysCreate, _) = await Executable.RunAsync(dir.Path, Development, ["keys", "create", "--help"]);
        Assert.Contains("Create an API key", keysCreate);
        Assert.Contains("--account <ACCOUNT_ID> (REQUIRED)", keysCreate);
        Assert.Contains("credentials:read", keysCreate);
        var (_, rotate, _) = await Executable.RunAsync(dir.Path, Development, ["crypto", "rotate", "--help"]);
        Assert.Contains("Re-encrypt every stored secret", rotate);
        Assert.Contains("--batch", rotate);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task Version_prints_and_exits_0()
    {
        using var dir = new TempDirectory();
        var (code, output, _) = await Executable.RunAsync(dir.Path, Development, ["--version"]);
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
        Assert.Empty(dir.Entries());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("--frobnicate")]
    [InlineData("serve", "--frobnicate")]
    [InlineData("migrate", "now")]
    [InlineData("keys")]
    [InlineData("keys", "frobnicate")]
    [InlineData("keys", "create", "--scopes", "read")]
    [InlineData("keys", "create", "--account", "acc_x", "--scopes", "root")]
    [InlineData("accounts", "create")]
    [InlineData("crypto", "rotate", "--batch", "0")]
    [InlineData("help", "frobnicate")]
    public async Task Unknown_commands_and_options_print_the_error_and_help_and_exit_2_starting_nothing(params string[] args)
    {
        using var dir = new TempDirectory();
        var (code, output, errors) = await Executable.RunAsync(dir.Path, Development, args);
        Assert.True(code == 2, $"exit {code}; stdout: {output}; stderr: {errors}");
        Assert.StartsWith("error: ", errors);
        if (args[0] != "help") Assert.Contains("Usage:", errors);
        Assert.DoesNotContain("Now listening", output);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task Commands_naming_what_does_not_exist_exit_1_with_a_message_on_stderr()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var dir = new TempDirectory();
        var env = new Dictionary<string, string?>
        {
            ["Switchboard__Database__Provider"] = database.Provider,
            ["Switchboard__Database__ConnectionString"] = database.ConnectionString,
        };

        var list = await Executable.RunAsync(dir.Path, env, ["keys", "list", "--account", "acc_nope"]);
        Assert.True(list.Code == 1, $"exit {list.Code}: {list.Out} {list.Err}");
        Assert.Contains("error: no account 'acc_nope'", list.Err);
        Assert.Empty(list.Out.Trim());

        var revoke = await Executable.RunAsync(dir.Path, env, ["keys", "revoke", "key_nope"]);
        Assert.Equal(1, revoke.Code);
        Assert.Contains("error: no key 'key_nope'", revoke.Err);

        var create = await Executable.RunAsync(dir.Path, env, ["keys", "create", "--account", "acc_nope", "--scopes", "read"]);
        Assert.Equal(1, create.Code);
        Assert.Contains("error: no account 'acc_nope'", create.Err);

        // And a command that works prints JSON only on stdout (its logs go to stderr).
        var account = await Executable.RunAsync(dir.Path, env, ["accounts", "create", "--name", "Acme"]);
        Assert.True(account.Code == 0, account.Err);
        var json = System.Text.Json.Nodes.JsonNode.Parse(account.Out)!;
        Assert.StartsWith("sk_live_", json["api_key"]!.GetValue<string>());
        var keys = await Executable.RunAsync(dir.Path, env, ["keys", "list", "--account", json["account_id"]!.GetValue<string>()]);
        Assert.Equal(0, keys.Code);
        Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(keys.Out)!.AsArray());
    }

    [Fact]
    public async Task Configuration_overrides_on_the_command_line_reach_the_host()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var dir = new TempDirectory();
        var (code, output, errors) = await Executable.RunAsync(dir.Path, null,
            ["accounts", "list", $"--Switchboard:Database:Provider={database.Provider}", $"--Switchboard:Database:ConnectionString={database.ConnectionString}"]);
        Assert.True(code == 0, errors);
        Assert.Empty(System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray());
        // The database named on the command line was used, not ./data/switchboard.db.
        Assert.DoesNotContain(Path.Combine("data", "switchboard.db"), dir.Entries());
    }
}
