using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>Switchboard for OAuth tests (custom providers reach the loopback http server: the base opens 127.0.0.0/8); no background worker.</summary>
public class OAuthApp : SwitchboardApp
{
    protected virtual IDictionary<string, string?> OAuthSettings => new Dictionary<string, string?>();

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var s = base.Settings;
            s["Switchboard:OAuth:WorkerEnabled"] = "false";
            s["Switchboard:OAuth:RefreshMargin"] = "00:00:04";
            foreach (var (k, v) in OAuthSettings) s[k] = v;
            return s;
        }
    }
}

/// <summary>Auth URLs that expire after one second.</summary>
public sealed class ShortSessionApp : OAuthApp
{
    protected override IDictionary<string, string?> OAuthSettings => new Dictionary<string, string?>
    {
        ["Switchboard:OAuth:SessionLifetime"] = "00:00:01",
    };
}

/// <summary>The background worker on, refreshing tokens 8 s before they expire, scanning twice a second.</summary>
public sealed class ProactiveApp : OAuthApp
{
    protected override IDictionary<string, string?> OAuthSettings => new Dictionary<string, string?>
    {
        ["Switchboard:OAuth:WorkerEnabled"] = "true",
        ["Switchboard:OAuth:WorkerInterval"] = "00:00:00.5",
        ["Switchboard:OAuth:ProactiveMargin"] = "00:00:08",
    };
}

/// <summary>The worker run by hand, two due tokens a scan, every token within an hour due.</summary>
public sealed class SmallBatchWorkerApp : OAuthApp
{
    protected override IDictionary<string, string?> OAuthSettings => new Dictionary<string, string?>
    {
        ["Switchboard:OAuth:WorkerEnabled"] = "false",
        ["Switchboard:OAuth:WorkerBatchSize"] = "2",
        ["Switchboard:OAuth:WorkerConcurrency"] = "3",
        ["Switchboard:OAuth:ProactiveMargin"] = "01:00:00",
    };
}

/// <summary>A second Switchboard host over another fixture's database.</summary>
public sealed class SecondHost(TestDatabase database) : OAuthApp
{
    protected override bool OwnsDatabase => false;

    public override Task InitializeAsync()
    {
        Database = database;
        _ = Server;
        return Task.CompletedTask;
    }
}

/// <summary>Two Switchboard hosts (separate service providers, connection pools, caches) sharing ONE database.</summary>
public sealed class TwoHosts : IAsyncLifetime
{
    public OAuthApp A { get; } = new();
    public SecondHost B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)A).InitializeAsync();
        B = new SecondHost(A.Database);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)B).DisposeAsync();
        await ((IAsyncLifetime)A).DisposeAsync();
    }
}
