using System.Diagnostics;
using System.Text;

namespace Switchboard.Tests.Contract;

/// <summary>
/// The repository's contract files (openapi/v1.json, README.md) and the third-party tools of tests/contract
/// (installed by scripts/test.sh with npm ci): redocly, prism, openapi-typescript, tsc.
/// </summary>
public static class ContractTools
{
    public static readonly string Root = FindRoot();
    public static string ToolsDir => Path.Combine(Root, "tests", "contract");
    public static string CheckedInDocument => Path.Combine(Root, "openapi", "v1.json");
    public static string Readme => Path.Combine(Root, "README.md");

    public static string Bin(string tool)
    {
        var path = Path.Combine(ToolsDir, "node_modules", ".bin", tool);
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: run `npm ci` in {ToolsDir} (scripts/test.sh does).");
        return path;
    }

    public sealed record Outcome(int ExitCode, string Output, string Stdout);

    /// <summary>Runs a tool to its end (killed at the timeout), with stdout and stderr together.</summary>
    public static async Task<Outcome> RunAsync(string file, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["FORCE_COLOR"] = "0";
        psi.Environment["REDOCLY_TELEMETRY"] = "off";
        psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var output = new StringBuilder();
        var stdout = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) { output.AppendLine(e.Data); stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish in time:\n{output}");
        }
        process.WaitForExit();
        lock (output) return new Outcome(process.ExitCode, output.ToString(), stdout.ToString());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Switchboard.slnx) not found above " + AppContext.BaseDirectory);
    }
}
