using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Switchboard.Hosting.Operations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>
/// A node, run as an operator runs it (the built service as a child process), collects its startup garbage once after
/// it has started (Hosting/Operations/StartupMemoryRelease); the in-process test hosts turn that off.
/// </summary>
public sealed partial class StartupMemoryTests
{
    [Fact]
    public async Task A_started_node_releases_its_startup_memory_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        var workDir = Directory.CreateTempSubdirectory("switchboard-startup-memory-");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Switchboard.Hosting.Operations.StartupMemoryRelease"] = "Information",
            ["Switchboard__Database__Provider"] = database.Provider,
            ["Switchboard__Database__ConnectionString"] = database.ConnectionString,
            ["Switchboard__Crypto__Keys"] = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Switchboard__Bootstrap"] = "false",
            ["Switchboard__Health__Enabled"] = "false",
            ["Switchboard__OAuth__WorkerEnabled"] = "false",
        };
        try
        {
            await using var service = await ServiceProcess.StartAsync(environment, workDir.FullName, TimeSpan.FromSeconds(90));
            var released = await Eventually.WaitAsync(() => Task.FromResult(Released().Matches(service.Output)), m => m.Count > 0,
                "the startup collection's log line", 30);
            var line = Assert.Single(released);
            Assert.True(long.Parse(line.Groups["after"].Value) <= long.Parse(line.Groups["before"].Value), line.Value);
            await Task.Delay(StartupMemoryRelease.Delay * 2);
            Assert.Single(Released().Matches(service.Output));
        }
        finally
        {
            workDir.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"Released startup memory: GC committed (?<before>\d+) -> (?<after>\d+) MB in \d+ ms")]
    private static partial Regex Released();
}
