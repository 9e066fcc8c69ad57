using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Dashboard;

namespace Switchboard.Tests.Contract;

/// <summary>
/// The service on a real socket (for node, Prism and the generated clients), its served document written to a file,
/// and Prism's validating proxy (--errors) in front of it, started on first use.
/// </summary>
public sealed class ContractServer : IAsyncLifetime
{
    public KestrelSwitchboardApp App { get; } = new();
    public string DocumentPath { get; private set; } = "";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-contract-" + Guid.NewGuid().ToString("N"));
    private Process? _prism;
    private string? _prismUrl;
    private readonly SemaphoreSlim _prismGate = new(1, 1);

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)App).InitializeAsync();
        Directory.CreateDirectory(_dir);
        using var http = new HttpClient();
        DocumentPath = Path.Combine(_dir, "v1.json");
        await File.WriteAllTextAsync(DocumentPath, await http.GetStringAsync(App.BaseUrl + "/openapi/v1.json"));
    }

    /// <summary>Prism's proxy (`prism proxy DOC UPSTREAM --errors`): answers a request or response that breaks the contract with its own error.</summary>
    public async Task<string> PrismAsync()
    {
        await _prismGate.WaitAsync();
        try
        {
            if (_prismUrl is not null) return _prismUrl;
            var port = FreePort();
            var psi = new ProcessStartInfo(ContractTools.Bin("prism"))
            {
                WorkingDirectory = ContractTools.ToolsDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "proxy", DocumentPath, App.BaseUrl, "--errors", "--host", "127.0.0.1", "--port", port.ToString() })
                psi.ArgumentList.Add(a);
            psi.Environment["NO_COLOR"] = "1";
            _prism = Process.Start(psi) ?? throw new InvalidOperationException("prism did not start");
            var ready = new TaskCompletionSource();
            var log = new System.Text.StringBuilder();
            _prism.OutputDataReceived += (_, e) =>
            {
                lock (log) log.AppendLine(e.Data);
                if (e.Data?.Contains("Prism is listening", StringComparison.Ordinal) == true) ready.TrySetResult();
            };
            _prism.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            _prism.BeginOutputReadLine();
            _prism.BeginErrorReadLine();
            if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(120))) != ready.Task)
                throw new InvalidOperationException("prism did not start within 120 s:\n" + log);
            return _prismUrl = $"http://127.0.0.1:{port}";
        }
        finally { _prismGate.Release(); }
    }

    public async Task DisposeAsync()
    {
        if (_prism is { HasExited: false }) _prism.Kill(entireProcessTree: true);
        _prism?.Dispose();
        await ((IAsyncLifetime)App).DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
