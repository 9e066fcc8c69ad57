using System.Data.Common;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.ApiKeys;

/// <summary>Counts the database lookups of API keys by hash (the query a presented key costs when it is not cached).</summary>
public sealed partial class KeyLookupCounter : DbCommandInterceptor
{
    private int _count;
    public int Count => Volatile.Read(ref _count);

    // SQLite quotes every identifier, PostgreSQL only the mixed-case ones.
    [GeneratedRegex("""FROM "?api_keys"?.*WHERE "?a"?\."Hash" = """, RegexOptions.Singleline)]
    private static partial Regex ByHash();

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (ByHash().IsMatch(command.CommandText)) Interlocked.Increment(ref _count);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

/// <summary>The login throttle with its defaults (20 failures per 10 s per client address); key lookups cached for 1 s only.</summary>
public class ThrottleApp : SwitchboardApp
{
    public KeyLookupCounter Lookups { get; } = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:ApiKeyCacheTtl"] = "00:00:01",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<IInterceptor>(Lookups));
    }
}

public sealed class SmallThrottleApp : ThrottleApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:LoginThrottle:MaxFailures"] = "3",
        // Three one-second segments: failures made within one second stay counted across a segment boundary (a one-segment
        // window drops them all at its boundary, which the four requests below could straddle on a slow machine).
        ["Switchboard:LoginThrottle:Window"] = "00:00:03",
    };
}

public sealed class LoginThrottleTests(ThrottleApp app) : IClassFixture<ThrottleApp>
{
    private static int _nextAddress;

    /// <summary>Each test acts from its own addresses, so tests sharing the fixture do not throttle each other.</summary>
    private static string NewAddress() => $"198.51.100.{Interlocked.Increment(ref _nextAddress)}";

    private HttpClient From(string address, string key) => TestClientIpStartupFilter.From(app.ClientWithKey(key), address);

    private const string List = "/api/v1/integrations?limit=1";

    [Fact]
    public async Task Past_20_failures_an_address_gets_429_with_retry_after_before_any_database_lookup()
    {
        var account = await app.CreateAccountAsync();
        var address = NewAddress();
        var lookups = app.Lookups.Count;
        for (var i = 0; i < 20; i++)
            await (await From(address, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal(lookups + 20, app.Lookups.Count);

        for (var i = 0; i < 30; i++)
        {
            var limited = await From(address, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List);
            var body = await limited.ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.Equal(TimeSpan.FromSeconds(10), limited.Headers.RetryAfter?.Delta);
            Assert.Equal(10, body["retry_after"]!.GetValue<int>());
        }
        // Malformed keys and wrong admin tokens from there are refused the same way; none of it reached the database.
        await (await From(address, "sk_live_nonsense").GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        await (await From(address, "not-the-admin-token").GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(lookups + 20, app.Lookups.Count);
        // The operator's admin token still works from there.
        var admin = TestClientIpStartupFilter.From(app.AdminClient(account.AccountId), address);
        await (await admin.GetAsync(List)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Other_addresses_are_not_throttled()
    {
        var account = await app.CreateAccountAsync();
        var throttled = NewAddress();
        for (var i = 0; i < 21; i++) await From(throttled, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List);
        await (await From(throttled, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");

        var other = NewAddress();
        await (await From(other, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
        await (await From(other, account.ApiKey).GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        // IPv6 clients are counted per /64: another address of a throttled /64 is throttled, another /64 is not.
        var v6 = $"2001:db8:{Interlocked.Increment(ref _nextAddress):x}:1::";
        for (var i = 0; i < 20; i++) await From(v6 + "1", ApiKeyFormat.Generate(account.AccountId)).GetAsync(List);
        await (await From(v6 + "2", ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        await (await From($"2001:db8:{Interlocked.Increment(ref _nextAddress):x}:2::1", ApiKeyFormat.Generate(account.AccountId)).GetAsync(List))
            .ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task A_valid_key_from_a_throttled_address_still_authenticates_even_after_its_cache_entry_expired()
    {
        var account = await app.CreateAccountAsync();
        var address = NewAddress();
        await (await From(address, account.ApiKey).GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 20; i++) await From(address, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List);
        await (await From(address, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");

        await (await From(address, account.ApiKey).GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        await Task.Delay(1500); // the key's cached lookup (ApiKeyCacheTtl 1 s) is gone; the address is still throttled
        var lookups = app.Lookups.Count;
        await (await From(address, account.ApiKey).GetAsync(List)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(lookups + 1, app.Lookups.Count);
        // Valid requests are not failures: they never count towards the limit.
        var clean = NewAddress();
        for (var i = 0; i < 40; i++) await (await From(clean, account.ApiKey).GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.OK);
        await (await From(clean, ApiKeyFormat.Generate(account.AccountId)).GetAsync(List)).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task A_well_formed_unknown_key_is_remembered_briefly_so_repeating_it_costs_one_lookup()
    {
        var account = await app.CreateAccountAsync();
        var address = NewAddress();
        var unknown = ApiKeyFormat.Generate(account.AccountId);
        var lookups = app.Lookups.Count;
        for (var i = 0; i < 5; i++) await (await From(address, unknown).GetAsync(List)).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal(lookups + 1, app.Lookups.Count);
    }
}

public sealed class LoginThrottleSettingsTests(SmallThrottleApp app) : IClassFixture<SmallThrottleApp>
{
    [Fact]
    public async Task The_limit_and_window_are_configurable_and_failures_age_out()
    {
        var account = await app.CreateAccountAsync();
        HttpClient From(string key) => TestClientIpStartupFilter.From(app.ClientWithKey(key), "192.0.2.7");
        for (var i = 0; i < 3; i++)
            await (await From(ApiKeyFormat.Generate(account.AccountId)).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
        var limited = await From(ApiKeyFormat.Generate(account.AccountId)).GetAsync("/api/v1/integrations");
        await limited.ShouldBe(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(TimeSpan.FromSeconds(3), limited.Headers.RetryAfter?.Delta);

        await Task.Delay(3600); // the window, plus the limiter's tick lag
        await (await From(ApiKeyFormat.Generate(account.AccountId)).GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.Unauthorized, "invalid_api_key");
    }
}
