using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.Mcp;

/// <summary>
/// The npm parts in tests/mcp-clients (installed by scripts/test.sh): the official TypeScript SDK client (client.mjs
/// drives it) and @modelcontextprotocol/server-everything.
/// </summary>
public static class McpNode
{
    public static string Directory { get; } = Find();

    /// <summary>Runs the TypeScript SDK client against <paramref name="url"/>; <paramref name="header"/> is "Authorization" (Bearer) or "X-API-Key", or null for none.</summary>
    public static async Task<JsonNode> RunClientAsync(string url, string? header, string? key, params object[] steps)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "client.mjs", url, header ?? "-", key ?? "-", JsonSerializer.Serialize(steps) }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        var text = await stdout;
        if (process.ExitCode != 0 || text.Length == 0) throw new InvalidOperationException($"client.mjs exited {process.ExitCode}: {await stderr}");
        return JsonNode.Parse(text)!;
    }

    public static object List() => new { op = "list" };
    public static object Call(string name, object? arguments = null) => new { op = "call", name, arguments = arguments ?? new { } };

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "mcp-clients");
            if (File.Exists(Path.Combine(candidate, "client.mjs")))
            {
                if (!System.IO.Directory.Exists(Path.Combine(candidate, "node_modules", "@modelcontextprotocol", "sdk")))
                    throw new InvalidOperationException($"Run `npm ci` in {candidate} first (scripts/test.sh does).");
                return candidate;
            }
        }
        throw new InvalidOperationException("tests/mcp-clients not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>@modelcontextprotocol/server-everything in streamableHttp mode on 127.0.0.1 and a free port; killed on dispose.</summary>
public sealed class EverythingServer : IAsyncLifetime, IAsyncDisposable
{
    private Process? _process;
    public int Port { get; private set; }
    public string Url => $"http://127.0.0.1:{Port}/mcp";

    public async Task InitializeAsync()
    {
        Port = McpNode.FreePort();
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = McpNode.Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine("node_modules", ".bin", "mcp-server-everything"));
        psi.ArgumentList.Add("streamableHttp");
        psi.Environment["PORT"] = Port.ToString();
        _process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { await Task.Delay(100); }
            if (_process.HasExited) throw new InvalidOperationException("server-everything exited at start");
        }
        throw new InvalidOperationException("server-everything did not listen within 30 s");
    }

    public Task StopAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        return _process?.WaitForExitAsync() ?? Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}

[CollectionDefinition("mcp")]
public sealed class McpCollection : ICollectionFixture<EverythingServer>;
