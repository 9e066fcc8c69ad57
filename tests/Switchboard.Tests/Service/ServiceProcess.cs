using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Service;

/// <summary>
/// The built service executable (the Switchboard apphost next to the test assembly) as a child process on a free
/// loopback port, as an operator runs it. <see cref="Kill"/> is SIGKILL: no shutdown code of the service runs.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    public string BaseUrl { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Switchboard.exe" : "Switchboard");

    /// <summary>Starts the service and waits until /healthz answers 200.</summary>
    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string workingDirectory, TimeSpan timeout)
    {
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var service = new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException("the service did not start"), baseUrl);
        service._process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (service._process.HasExited)
                throw new InvalidOperationException($"the service exited with {service._process.ExitCode} at startup:\n{service.Output}");
            try
            {
                if ((await http.GetAsync(baseUrl + "/healthz")).StatusCode == HttpStatusCode.OK) return service;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(50);
        }
        service.Kill();
        throw new TimeoutException($"the service did not answer /healthz within {timeout.TotalSeconds:0} s:\n{service.Output}");
    }

    public string Output => string.Join('\n', _output);

    /// <summary>The API key a first start on an empty database prints once (waits for the banner).</summary>
    public async Task<string> BootstrapKeyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (PrintedKey().Matches(Output).Select(m => m.Value).FirstOrDefault(k => k.Length >= 40) is { } key) return key;
            await Task.Delay(50);
        }
        throw new TimeoutException("no API key in the first start's output:\n" + Output);
    }

    /// <summary>SIGKILL, then waits for the process to be gone.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _)) { }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex("sk_live_[A-Za-z0-9_]+")]
    private static partial Regex PrintedKey();

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
