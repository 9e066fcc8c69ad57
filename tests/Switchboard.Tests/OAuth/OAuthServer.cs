using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// The real authorization server (npm oidc-provider, tests/oauth-server) on 127.0.0.1 and a free port, started once
/// for the OAuth collection and killed at its end. Clients: sb-client (1 h access tokens), sb-short (ShortTtl s),
/// sb-machine (client credentials, ShortTtl s). PKCE is required and refresh tokens rotate.
/// </summary>
public sealed class OAuthServer : IAsyncLifetime
{
    public const int ShortTtl = 10;
    public const string CallbackUrl = "http://127.0.0.1:5080/api/v1/oauth/callback";
    private Process? _process;
    private readonly HttpClient _http = new();
    public string Issuer { get; private set; } = "";
    /// <summary>The callback the test clients register (a Switchboard on a real socket passes its own).</summary>
    public string RedirectUri { get; init; } = CallbackUrl;

    public static string Secret(string clientId) => clientId == "sb-machine" ? "sb-machine-secret-0123456789abcdef" : $"{clientId}-secret-0123456789abcdef";

    public async Task InitializeAsync()
    {
        var dir = FindServerDirectory();
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "oidc-provider")))
            throw new InvalidOperationException($"Run `npm ci` in {dir} first (scripts/test.sh does).");
        var port = FreePort();
        Issuer = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("node", "server.js")
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["PORT"] = port.ToString();
        psi.Environment["REDIRECT_URI"] = RedirectUri;
        psi.Environment["SHORT_TTL"] = ShortTtl.ToString();
        _process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var ready = new TaskCompletionSource();
        _process.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("READY", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        if (done != ready.Task) throw new InvalidOperationException("oidc-provider did not start within 20 s");
    }

    /// <summary>Token requests seen by the provider, keyed "client grant_type"; errors keyed "client grant error".</summary>
    public async Task<Counts> CountsAsync()
    {
        var body = JsonNode.Parse(await _http.GetStringAsync(Issuer + "/test/counts"))!;
        return new Counts(
            body["token"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>()),
            body["errors"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>()),
            body["revocations"]!.GetValue<int>());
    }

    public async Task FailNextTokenRequestsAsync(int status, int count) =>
        (await _http.PostAsync($"{Issuer}/test/fail-token?status={status}&count={count}", null)).EnsureSuccessStatusCode();

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.Dispose();
        _http.Dispose();
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string FindServerDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "oauth-server");
            if (File.Exists(Path.Combine(candidate, "server.js"))) return candidate;
        }
        throw new InvalidOperationException("tests/oauth-server not found above " + AppContext.BaseDirectory);
    }

    public sealed record Counts(Dictionary<string, int> Token, Dictionary<string, int> Errors, int Revocations)
    {
        public int Of(string key) => Token.GetValueOrDefault(key);
        public int ErrorsOf(string prefix) => Errors.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(e => e.Value);
        public int AllErrors => Errors.Values.Sum();
    }
}

[CollectionDefinition("oauth")]
public sealed class OAuthCollection : ICollectionFixture<OAuthServer>;
