using System.CommandLine;
using Microsoft.Extensions.Logging.Console;
using Switchboard.Hosting;
using Switchboard.Hosting.Operations;

namespace Switchboard.Cli;

/// <summary>`serve`: the service itself. Builds the host only once the command line is known to be good.</summary>
public static class ServeCommand
{
    public static Command Create(CliEnvironment env)
    {
        var urls = new Option<string>("--urls")
        {
            HelpName = "URLS",
            Description = "Addresses to listen on, ';'-separated (default http://127.0.0.1:5080, or ASPNETCORE_URLS). Port 0 picks a free port.",
        };
        var environment = new Option<string>("--environment")
        {
            HelpName = "NAME",
            Description = "Hosting environment (default Production, or ASPNETCORE_ENVIRONMENT; Development under dotnet run).",
        };
        var serve = new Command("serve", """
            Serve the API (what runs without a command): wait for the database, apply migrations, create a first account
            on an empty database and print its key, then listen. Settings can follow as --Section:Key=value.
            """) { urls, environment };
        serve.SetAction(async (parse, _) =>
        {
            if (env.Services is not null) throw new CliException("serve runs only as the process's own command", SwitchboardCli.Usage);
            var hostArgs = new List<string>();
            if (parse.GetValue(urls) is { } u) hostArgs.Add("--urls=" + u);
            if (parse.GetValue(environment) is { } e) hostArgs.Add("--environment=" + e);
            var builder = CreateBuilder(env, hostArgs, forAdminCommand: false);
            WebApplication? built = null;
            try
            {
                builder.AddSwitchboard();
                built = builder.Build();
                await built.PrepareSwitchboardAsync();
            }
            catch (StartupFailedException failed)
            {
                if (built is not null) await built.DisposeAsync();
                throw new CliException(failed.Message);
            }
            await using var app = built;
            app.UseSwitchboard();
            // The host handles SIGTERM/Ctrl+C itself (graceful shutdown); the parser's handling is off (SwitchboardCli).
            await app.RunAsync();
            return SwitchboardCli.Ok;
        });
        return serve;
    }

    /// <summary>
    /// The host for any command: appsettings.json and the catalog ship next to the binary, ./data stays where the
    /// service is started from; every --Section:Key=value of the command line reaches the configuration. Admin commands
    /// log to stderr, so their stdout carries JSON only.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(CliEnvironment env, IEnumerable<string> hostArgs, bool forAdminCommand)
    {
        string[] args = [.. hostArgs, .. env.ConfigurationOverrides];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (forAdminCommand) builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        return builder;
    }
}
