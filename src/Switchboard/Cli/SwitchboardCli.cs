using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Switchboard.Cli;

/// <summary>
/// The command line of the one executable: <c>serve</c> (the default) and the admin commands. Everything is parsed before
/// any host is built, so help, --version and a mistyped command touch neither the database nor the key file.
/// Exit codes: 0 done, 1 failed (something named does not exist, the database is unreachable, …), 2 bad usage.
/// </summary>
public static class SwitchboardCli
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    /// <summary>The process entry point's work: parse <paramref name="args"/> and run the command.</summary>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, services: null, Console.Out, Console.Error);

    /// <summary>Runs an admin command against services that already exist (tests); output goes to the writers given.</summary>
    public static async Task<int> RunAsync(string[] args, IServiceProvider? services, TextWriter output, TextWriter error)
    {
        // --Key=value (e.g. --Switchboard:Database:Provider=postgres) goes to the host's configuration as it is, as
        // ASP.NET Core reads it, unless Key is one of our options (--name=Acme); the parser sees the rest.
        var overrides = new List<string>();
        var env = new CliEnvironment(services, output, error, overrides);
        var root = BuildCommands(env);
        var optionNames = OptionNames(root);
        overrides.AddRange(args.Where(a => ConfigurationArguments.IsOverride(a, optionNames)));
        var result = root.Parse(args.Where(a => !ConfigurationArguments.IsOverride(a, optionNames)).ToArray());
        var config = new InvocationConfiguration
        {
            Output = env.Out,
            Error = env.Error,
            // Exceptions are ours to report (one line, the right code); the test host also relies on its abort exception
            // leaving Main untouched.
            EnableDefaultExceptionHandler = false,
            // SIGTERM/Ctrl+C belong to the host (graceful shutdown, however long it takes); the parser would return 2 s later.
            ProcessTerminationTimeout = null,
        };

        // Help and --version clear parse errors (`keys create --help` needs no --account).
        if (result.Action is not { ClearsParseErrors: true } && result.Errors.Count > 0)
        {
            foreach (var e in result.Errors) await env.Error.WriteLineAsync("error: " + e.Message);
            await env.Error.WriteLineAsync();
            await HelpFor(root, result.CommandResult.Command).InvokeAsync(new InvocationConfiguration { Output = env.Error });
            return Usage;
        }
        try
        {
            return await result.InvokeAsync(config);
        }
        catch (CliException e)
        {
            await env.Error.WriteLineAsync("error: " + e.Message);
            return e.ExitCode;
        }
    }

    private static RootCommand BuildCommands(CliEnvironment env)
    {
        var root = new RootCommand("""
            Switchboard: a self-hostable, multi-tenant integrations hub.
            Without a command it serves the API (the same as 'serve'). Settings come from appsettings.json, environment
            variables (Switchboard__Database__Provider=postgres) or arguments (--Switchboard:Database:Provider=postgres).
            Admin commands print JSON on stdout; errors go to stderr. Exit codes: 0 done, 1 failed, 2 bad usage.
            """);
        var serve = ServeCommand.Create(env);
        // The root runs what 'serve' runs, with the same options, so `Switchboard --urls http://0.0.0.0:8080` works.
        foreach (var option in serve.Options) root.Options.Add(option);
        root.Action = serve.Action;
        root.Subcommands.Add(serve);
        root.Subcommands.Add(AdminCommands.Migrate(env));
        root.Subcommands.Add(AdminCommands.Accounts(env));
        root.Subcommands.Add(AdminCommands.Keys(env));
        root.Subcommands.Add(AdminCommands.Crypto(env));
        root.Subcommands.Add(HelpCommand(root));
        return root;
    }

    /// <summary>`help [command …]`: the same text as `command … --help`.</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var path = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command to describe, e.g. 'keys create'." };
        var help = new Command("help", "Show help for Switchboard or one of its commands.") { path };
        help.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(path) ?? [];
            var again = root.Parse([.. names, "--help"]);
            if (again.Action is not HelpAction || again.UnmatchedTokens.Count > 0)
                throw new CliException($"no command '{string.Join(' ', names)}' (see --help)", Usage);
            return await again.InvokeAsync(parse.InvocationConfiguration, ct);
        });
        return help;
    }

    private static HashSet<string> OptionNames(Command command) =>
        command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(command.Subcommands.SelectMany(OptionNames)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The parse of `command … --help`: invoking it prints that command's help.</summary>
    private static ParseResult HelpFor(RootCommand root, Command command)
    {
        var path = new List<string>();
        for (Symbol? s = command; s is Command c && s != root; s = c.Parents.FirstOrDefault()) path.Insert(0, c.Name);
        return root.Parse([.. path, "--help"]);
    }

}

/// <summary>Where a command runs: the process (services built on demand from the configuration) or a test's services.</summary>
public sealed record CliEnvironment(IServiceProvider? Services, TextWriter Out, TextWriter Error, IReadOnlyList<string> ConfigurationOverrides);

/// <summary>A command that could not do its work. The message is one line for stderr; never a secret.</summary>
public sealed class CliException(string message, int exitCode = SwitchboardCli.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Arguments handed to the host's configuration rather than parsed as options.</summary>
public static class ConfigurationArguments
{
    /// <summary>`--Key=value` where Key is not one of the command line's own options: a setting, as ASP.NET Core reads it.</summary>
    public static bool IsOverride(string token, IReadOnlySet<string> optionNames)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal)) return false;
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        return eq > 2 && !optionNames.Contains(token[..eq]);
    }
}
