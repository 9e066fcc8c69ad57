using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Cli;

/// <summary>Runs the built executable on a fresh database and a random port, as an operator would, and reads its stdout.</summary>
public sealed partial class StartupBannerTests
{
    [GeneratedRegex(@"^\s*try: (curl .*)$", RegexOptions.Multiline)]
    private static partial Regex CurlLine();

    [GeneratedRegex(@"^\s*listening on (\S+)", RegexOptions.Multiline)]
    private static partial Regex ListeningLine();

    [Fact]
    public async Task The_banner_names_the_address_the_server_bound_and_its_curl_line_works_when_pasted()
    {
        await using var database = await TestDatabase.CreateAsync();
        var workDir = Directory.CreateTempSubdirectory("switchboard-banner-");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Switchboard.exe" : "Switchboard"))
        {
            WorkingDirectory = workDir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Switchboard__Database__Provider"] = database.Provider;
        start.Environment["Switchboard__Database__ConnectionString"] = database.ConnectionString;
        start.Environment["Switchboard__Crypto__Keys"] = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        start.Environment["Switchboard__Health__CheckOnInstall"] = "false";

        using var process = Process.Start(start)!;
        var stdout = new System.Text.StringBuilder();
        var banner = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout)
            {
                stdout.AppendLine(e.Data);
                if (e.Data.Contains("try: curl", StringComparison.Ordinal)) banner.TrySetResult(stdout.ToString());
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var finished = await Task.WhenAny(banner.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(finished == banner.Task, "no banner within 60 s; stdout so far:\n" + stdout);
            var text = await banner.Task;

            var listening = ListeningLine().Match(text).Groups[1].Value;
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", listening);
            Assert.DoesNotContain(":5080", listening);
            Assert.DoesNotMatch(@":0$", listening);
            var curl = CurlLine().Match(text).Groups[1].Value;
            Assert.Contains(listening + "/api/v1/integrations", curl);
            Assert.DoesNotContain("…", curl);

            // Pasted into a shell as printed: the full key authenticates against the address printed.
            using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", curl + " --silent --show-error --max-time 20"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = await shell.StandardOutput.ReadToEndAsync();
            var errors = await shell.StandardError.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.True(shell.ExitCode == 0, $"curl exited {shell.ExitCode}: {errors}");
            var list = JsonNode.Parse(output)!;
            Assert.NotEmpty(list["integrations"]!.AsArray());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try { workDir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:5081", "http://127.0.0.1:5081")]
    [InlineData("http://[::]:5081", "http://[::1]:5081")]
    [InlineData("http://127.0.0.1:40000", "http://127.0.0.1:40000")]
    [InlineData("https://switchboard.internal:8443/", "https://switchboard.internal:8443")]
    public void Wildcard_addresses_are_printed_as_a_loopback_address_a_local_curl_can_use(string bound, string printed) =>
        Assert.Equal(printed, Bootstrap.Reachable(bound));
}
