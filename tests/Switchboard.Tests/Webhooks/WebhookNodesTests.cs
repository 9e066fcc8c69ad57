using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>Several nodes on one database, and a node killed between a commit and its delivery.</summary>
[Collection("webhooks")]
public sealed class WebhookNodesTests(Receivers receivers)
{
    private static Dictionary<string, string?> NodeSettings(bool worker = true) => new()
    {
        ["Switchboard:Crypto:Keys"] = $"k1:{SwitchboardApp.KeyK1};k2:{SwitchboardApp.KeyK2}",
        ["Switchboard:Crypto:ActiveKeyId"] = "k2",
        ["Switchboard:Outbound:AllowedNetworks"] = "127.0.0.0/8",
        ["Switchboard:Webhooks:PollInterval"] = "00:00:00.050",
        ["Switchboard:Webhooks:Enabled"] = worker ? "true" : "false",
    };

    [Fact]
    public async Task Two_nodes_never_deliver_the_same_attempt_twice()
    {
        const int events = 150;
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await NodeApp.StartAsync(database, NodeSettings());
        await using var b = await NodeApp.StartAsync(database, NodeSettings());
        var account = await a.CreateAccountAsync();
        var name = "nodes" + Guid.NewGuid().ToString("N")[..8];
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);

        // Committed on both nodes at once, in many small writes: both workers are woken and race for the same rows.
        var writers = new[] { a, b }.Select(n => n.Services.GetRequiredService<IStoreWriter>()).ToArray();
        await Task.WhenAll(Enumerable.Range(0, events).Select(i => writers[i % 2].WriteAsync(async (tx, ct) =>
        {
            EventOutbox.Add(tx, new EventEnvelope(EventTypes.IntegrationHealthChanged,
                new EventData(account.AccountId, account.ProjectId) { IntegrationId = i.ToString(), Status = "healthy" }));
            await tx.Db.SaveChangesAsync(ct);
        }, CancellationToken.None)));

        var received = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), r => r.Count >= events, $"{events} deliveries", 90);
        await Task.Delay(1000); // a duplicate would arrive now
        received = receivers.Dotnet.For(name);
        Assert.Equal(events, received.Count);
        Assert.Equal(events, received.Select(r => r.Id).Distinct().Count());
        Assert.All(received, r => Assert.True(r.Verified, r.Error));
        var deliveries = await Eventually.WaitAsync(() => a.StoredDeliveriesAsync(account.AccountId),
            d => d.Count == events && d.All(x => x.Status == WebhookDeliveryStatus.Delivered), "all recorded delivered", 120);
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempts));
        Assert.Equal(events, (await a.StoredAttemptsAsync(account.AccountId)).Count);
    }

    [Fact]
    public async Task An_event_committed_by_a_node_killed_before_delivery_is_delivered_once_the_service_restarts()
    {
        await using var database = await TestDatabase.CreateAsync();
        string apiKey, name = "crash" + Guid.NewGuid().ToString("N")[..8];
        TestAccount account;
        await using (var setup = await NodeApp.StartAsync(database, NodeSettings(worker: false)))
        {
            account = await setup.CreateAccountAsync();
            apiKey = account.ApiKey;
            var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
            receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        }

        // The first process commits the install (and its event) and is killed before its worker could deliver it.
        using (var first = await ServiceProcess.StartAsync(database, worker: false))
        {
            using var client = first.Client(apiKey);
            await (await client.PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = WebhookTestApi.StripeKey } }))
                .ShouldBe(HttpStatusCode.OK);
            first.Kill();
        }
        await Task.Delay(500);
        Assert.Empty(receivers.Dotnet.For(name));

        using var second = await ServiceProcess.StartAsync(database, worker: true);
        var got = await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), r => r.Count >= 1, "the delivery after the restart", 60);
        await Task.Delay(1000);
        var only = Assert.Single(receivers.Dotnet.For(name));
        Assert.True(only.Verified, only.Error);
        Assert.Equal(EventTypes.IntegrationInstalled, only.Type);
        second.Kill();
    }
}

/// <summary>The built service as a child process on a given database and a free port, killed (not stopped) by <see cref="Kill"/>.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    public string BaseUrl { get; }

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public static async Task<ServiceProcess> StartAsync(TestDatabase database, bool worker)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Switchboard.exe" : "Switchboard"))
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("switchboard-webhook-node-").FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Switchboard__Database__Provider"] = database.Provider;
        start.Environment["Switchboard__Database__ConnectionString"] = database.ConnectionString;
        start.Environment["Switchboard__Crypto__Keys"] = $"k1:{SwitchboardApp.KeyK1};k2:{SwitchboardApp.KeyK2}";
        start.Environment["Switchboard__Crypto__ActiveKeyId"] = "k2";
        start.Environment["Switchboard__Bootstrap"] = "false";
        start.Environment["Switchboard__Health__CheckOnInstall"] = "false";
        start.Environment["Switchboard__Health__Enabled"] = "false";
        start.Environment["Switchboard__Outbound__AllowedNetworks"] = "127.0.0.0/8";
        start.Environment["Switchboard__Webhooks__Enabled"] = worker ? "true" : "false";
        start.Environment["Switchboard__Webhooks__PollInterval"] = "00:00:00.100";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var self = new ServiceProcess(process, $"http://127.0.0.1:{port}");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            try
            {
                if ((await probe.GetAsync(self.BaseUrl + "/healthz")).IsSuccessStatusCode) return self;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (process.HasExited || DateTime.UtcNow > until)
            {
                self.Dispose();
                throw new InvalidOperationException("the service process did not become healthy within 180 s");
            }
            await Task.Delay(200);
        }
    }

    public HttpClient Client(string apiKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>SIGKILL: no graceful shutdown, no flush.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
