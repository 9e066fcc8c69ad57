using System.Diagnostics;
using System.Text;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The built Switchboard executable (next to the test assembly), run as an operator would: in a directory of the test's
/// choosing, with only the environment the test gives it (plus PATH and HOME).
/// </summary>
public sealed class Executable : IAsyncDisposable
{
    public static string PathToBinary => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Switchboard.exe" : "Switchboard");

    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();
    private readonly object _gate = new();

    private Executable(Process process) => _process = process;

    public string Stdout { get { lock (_gate) return _out.ToString(); } }
    public string Stderr { get { lock (_gate) return _err.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ProcessStartInfo StartInfo(string fileName, string workingDirectory, IDictionary<string, string?>? environment, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // A clean environment: nothing of the test runner's settings leaks into the service.
        foreach (var key in start.Environment.Keys.ToList())
            if (key is not ("PATH" or "HOME" or "TMPDIR" or "DOTNET_ROOT" or "DOTNET_CLI_HOME" or "NUGET_PACKAGES"))
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) start.Environment[key] = value;
        return start;
    }

    public static Executable Start(string workingDirectory, IDictionary<string, string?>? environment, params string[] args) =>
        Start(StartInfo(PathToBinary, workingDirectory, environment, args));

    public static Executable Start(ProcessStartInfo start)
    {
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var run = new Executable(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (run._gate) run._out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (run._gate) run._err.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Runs to the end (killed after <paramref name="timeout"/>, default 60 s) and returns the exit code and output.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string workingDirectory, IDictionary<string, string?>? environment,
        string[] args, TimeSpan? timeout = null)
    {
        await using var run = Start(workingDirectory, environment, args);
        await run.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return (run.ExitCode, run.Stdout, run.Stderr);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout}; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        // The asynchronous readers may still hold the last lines; WaitForExit() without a timeout drains them.
        _process.WaitForExit();
    }

    /// <summary>Waits until stdout contains <paramref name="text"/> (or the process exits, or the time is up).</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) return Stdout.Contains(text, StringComparison.Ordinal);
            await Task.Delay(100);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>An empty directory for one test, removed afterwards; lists what a run left in it.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("switchboard-exe-").FullName;

    public string[] Entries() => Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories)
        .Select(e => System.IO.Path.GetRelativePath(Path, e)).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
