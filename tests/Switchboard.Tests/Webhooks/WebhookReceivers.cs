using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>One delivery as a receiver saw it.</summary>
public sealed record Received(string Name, string Id, string Timestamp, string Signature, bool Verified, string? Error, string? Type, string Body,
    int Answered);

/// <summary>
/// A loopback receiver in this process that verifies every delivery with the NuGet StandardWebhooks verifier (1.1.2), and
/// answers what the test scripted (per receiver name, one status per request; then 204 when verified, 400 when not).
/// </summary>
public sealed class DotnetReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string[]> _secrets = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string? RetryAfter)>> _script = new();
    private readonly ConcurrentQueue<Received> _received = new();

    public string BaseUrl { get; }

    private DotnetReceiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<DotnetReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        DotnetReceiver? self = null;
        app.MapPost("/hook/{name}", async (string name, HttpRequest request) => await self!.HandleAsync(name, request));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new DotnetReceiver(app, address.Replace("[::1]", "127.0.0.1"));
        return self;
    }

    public string UrlFor(string name) => $"{BaseUrl}/hook/{name}";

    public void SetSecrets(string name, params string[] secrets) => _secrets[name] = secrets;

    public void Script(string name, params (int Status, string? RetryAfter)[] answers) =>
        _script[name] = new ConcurrentQueue<(int, string?)>(answers);

    public IReadOnlyList<Received> For(string name) => _received.Where(r => r.Name == name).ToList();

    private async Task<IResult> HandleAsync(string name, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        string? error = null;
        var secrets = _secrets.GetValueOrDefault(name) ?? [];
        foreach (var secret in secrets)
        {
            try { new StandardWebhook(secret).Verify(body, request.Headers); }
            catch (Exception e) { error ??= e.GetType().Name + ": " + e.Message; }
        }
        var verified = secrets.Length > 0 && error is null;
        string? type = null;
        try { type = JsonNode.Parse(body)?["type"]?.GetValue<string>(); } catch (System.Text.Json.JsonException) { }
        var answer = _script.TryGetValue(name, out var q) && q.TryDequeue(out var next) ? next : (verified ? 204 : 400, (string?)null);
        _received.Enqueue(new Received(name, request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(),
            request.Headers["webhook-signature"].ToString(), verified, error, type, body, answer.Item1));
        if (answer.Item2 is { } retryAfter) request.HttpContext.Response.Headers.RetryAfter = retryAfter;
        return Results.StatusCode(answer.Item1);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The npm receiver (tests/webhook-receiver): verifies every delivery with the `standardwebhooks` npm package.</summary>
public sealed class NodeReceiver : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new();
    public string BaseUrl { get; }

    private NodeReceiver(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public static async Task<NodeReceiver> StartAsync()
    {
        var dir = FindDirectory();
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "standardwebhooks")))
            throw new InvalidOperationException($"Run `npm ci` in {dir} first (scripts/test.sh does).");
        var psi = new ProcessStartInfo("node", "receiver.js")
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["PORT"] = "0";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("READY ", StringComparison.Ordinal) == true) ready.TrySetResult(e.Data[6..]); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != ready.Task) throw new InvalidOperationException("the webhook receiver did not start within 30 s");
        return new NodeReceiver(process, $"http://127.0.0.1:{await ready.Task}");
    }

    public string UrlFor(string name) => $"{BaseUrl}/hook/{name}";

    public async Task SetSecretsAsync(string name, params string[] secrets) =>
        (await _http.PutAsync($"{BaseUrl}/secret/{name}", new StringContent(string.Join('\n', secrets)))).EnsureSuccessStatusCode();

    public async Task<IReadOnlyList<Received>> ForAsync(string name)
    {
        var all = JsonNode.Parse(await _http.GetStringAsync($"{BaseUrl}/received"))!.AsArray();
        return all.Where(r => r!["name"]!.GetValue<string>() == name)
            .Select(r => new Received(name, r!["id"]!.GetValue<string>(), r["timestamp"]!.GetValue<string>(), r["signature"]!.GetValue<string>(),
                r["verified"]!.GetValue<bool>(), r["error"]?.GetValue<string>(), r["type"]?.GetValue<string>(), r["body"]!.GetValue<string>(),
                r["verified"]!.GetValue<bool>() ? 204 : 400)).ToList();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string FindDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "webhook-receiver");
            if (File.Exists(Path.Combine(candidate, "receiver.js"))) return candidate;
        }
        throw new InvalidOperationException("tests/webhook-receiver not found");
    }
}

/// <summary>Both receivers, started once for the webhook collection.</summary>
public sealed class Receivers : IAsyncLifetime
{
    public DotnetReceiver Dotnet { get; private set; } = null!;
    public NodeReceiver Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Dotnet = await DotnetReceiver.StartAsync();
        Node = await NodeReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Dotnet.DisposeAsync();
        await Node.DisposeAsync();
    }
}

[CollectionDefinition("webhooks")]
public sealed class WebhookCollection : ICollectionFixture<Receivers>;
