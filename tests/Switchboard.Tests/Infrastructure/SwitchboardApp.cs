using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The real service over real HTTP (in-memory TestServer) on a fresh real database. Settings can be
/// overridden per fixture (e.g. to start without an encryption key).
/// </summary>
public class SwitchboardApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789";
    public TestDatabase Database { get; protected set; } = null!;
    /// <summary>False for a second host over another fixture's database (that fixture disposes it).</summary>
    protected virtual bool OwnsDatabase => SharedDatabase is null;
    public LogCapture Logs { get; } = new();
    /// <summary>Fails (and records) any write that does not go through the store writer; see <see cref="WriteEscapeGuard"/>.</summary>
    public WriteEscapeGuard WriteGuard { get; } = new();
    /// <summary>Two keys; k2 active. Tests that rotate build their own settings.</summary>
    public static readonly string KeyK1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public static readonly string KeyK2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Switchboard:Crypto:Keys"] = $"k1:{KeyK1};k2:{KeyK2}",
        ["Switchboard:Crypto:ActiveKeyId"] = "k2",
        // The stand-ins (OAuth server, token endpoints, providers) listen on 127.0.0.1; the SSRF tests close this again.
        ["Switchboard:Outbound:AllowedNetworks"] = "127.0.0.0/8",
    };

    /// <summary>Replaces services after the app's own registrations (e.g. the outbound resolver).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    /// <summary>Set to share another app's database (a second node); that app owns and drops it.</summary>
    protected TestDatabase? SharedDatabase { get; init; }

    public virtual async Task InitializeAsync()
    {
        Database = SharedDatabase ?? await TestDatabase.CreateAsync();
        // Building the host runs migrations (PrepareSwitchboardAsync) before the first request.
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Switchboard:Database:Provider", Database.Provider);
        builder.UseSetting("Switchboard:Database:ConnectionString", Database.ConnectionString);
        builder.UseSetting("Switchboard:AdminToken", AdminToken);
        builder.UseSetting("Switchboard:Bootstrap", "false");
        // The test hosts share one process: a blocking full GC for each would pause every other test running.
        builder.UseSetting("Switchboard:ReleaseStartupMemory", "false");
        builder.UseSetting("Switchboard:ApiKeyRevocationPollInterval", "00:00:00.200");
        // Tests never call real providers: credential checks run only in fixtures that point them at a loopback stand-in.
        builder.UseSetting("Switchboard:Health:Enabled", "false");
        builder.UseSetting("Switchboard:Health:CheckOnInstall", "false");
        // MCP connection checks run when a test calls McpConnectionMonitor.RunDueChecksAsync itself.
        builder.UseSetting("Switchboard:Mcp:MonitorEnabled", "false");
        builder.UseSetting("Switchboard:Crypto:KeyFile", Path.Combine(Path.GetTempPath(), "switchboard-tests", "absent-" + Guid.NewGuid().ToString("N") + ".json"));
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        builder.ConfigureServices(s =>
        {
            s.AddTransient<IStartupFilter, TestClientIpStartupFilter>();
            s.AddSingleton<IInterceptor>(WriteGuard);
        });
        builder.ConfigureTestServices(ConfigureServices);
    }

    public async Task<TestAccount> CreateAccountAsync(string name = "acme")
    {
        await using var scope = Services.CreateAsyncScope();
        var created = await AccountProvisioning.CreateAsync(scope.ServiceProvider.GetRequiredService<IStoreWriter>(), name, CancellationToken.None);
        return new TestAccount(this, created.Account.Id, created.DefaultProject.Id, created.Key.Plaintext, created.Key.Key.Id);
    }

    public HttpClient ClientWithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient AdminClient(string? accountId)
    {
        var client = ClientWithKey(AdminToken);
        if (accountId is not null) client.DefaultRequestHeaders.Add("X-Account-ID", accountId);
        return client;
    }

    /// <summary>Direct database access for assertions about what is stored (never to arrange API state).</summary>
    public async Task<T> WithDbAsync<T>(Func<SwitchboardDb, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<SwitchboardDb>());
    }

    /// <summary>Changes stored state for a test's arrangement, through the store writer like every write of the service.</summary>
    public async Task<T> WriteDbAsync<T>(Func<SwitchboardDb, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IStoreWriter>().WriteAsync((tx, _) => action(tx.Db), CancellationToken.None);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (OwnsDatabase) await Database.DisposeAsync();
        if (WriteGuard.Escaped.Count > 0)
            throw new InvalidOperationException("Writes escaped the store writer:\n" + string.Join("\n", WriteGuard.Escaped));
    }
}

public sealed record TestAccount(SwitchboardApp App, string AccountId, string ProjectId, string ApiKey, string ApiKeyId)
{
    public HttpClient Client() => App.ClientWithKey(ApiKey);
}

/// <summary>Another node (or the same node restarted with other settings) over an existing database.</summary>
public sealed class NodeApp(IDictionary<string, string?> settings) : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => settings;

    /// <summary>Another node on <paramref name="database"/> with the fixture's key ring (k1 and k2, k2 active).</summary>
    public static Task<NodeApp> StartAsync(TestDatabase database) => StartAsync(database, new Dictionary<string, string?>
    {
        ["Switchboard:Crypto:Keys"] = $"k1:{SwitchboardApp.KeyK1};k2:{SwitchboardApp.KeyK2}",
        ["Switchboard:Crypto:ActiveKeyId"] = "k2",
    });

    public static async Task<NodeApp> StartAsync(TestDatabase database, IDictionary<string, string?> settings)
    {
        var app = new NodeApp(settings) { SharedDatabase = database };
        await ((IAsyncLifetime)app).InitializeAsync();
        return app;
    }
}
