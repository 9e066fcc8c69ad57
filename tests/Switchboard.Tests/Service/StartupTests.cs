using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Switchboard.Hosting.Operations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>Starting the service: an unreachable database, a first start that logs no error, JSON logs, dotnet run.</summary>
public sealed partial class StartupTests
{
    private static Dictionary<string, string?> ServiceEnvironment(string provider, string connectionString) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Switchboard__Database__Provider"] = provider,
        ["Switchboard__Database__ConnectionString"] = connectionString,
        ["Switchboard__Crypto__Keys"] = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Switchboard__Health__CheckOnInstall"] = "false",
        ["Switchboard__Health__Enabled"] = "false",
    };

    [Fact]
    public async Task An_unreachable_database_is_retried_for_the_startup_timeout_then_the_process_exits_1_with_one_line()
    {
        using var dir = new TempDirectory();
        var env = ServiceEnvironment("postgres", $"Host=127.0.0.1;Port={ClosedPort()};Username=nobody;Password=secret-pw-123;Database=none");
        env["Switchboard__Database__StartupTimeout"] = "00:00:08";
        var watch = Stopwatch.StartNew();
        var (code, output, errors) = await Executable.RunAsync(dir.Path, env, ["--urls", "http://127.0.0.1:0"], TimeSpan.FromSeconds(60));

        Assert.True(code == 1, $"exit {code}\nstdout: {output}\nstderr: {errors}");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(8), $"gave up after {watch.Elapsed}");
        var errorLines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(errorLines);
        Assert.StartsWith("error: database unreachable after ", errorLines[0]);
        var attempts = output.Split('\n').Where(l => l.Contains("Database not reachable (attempt", StringComparison.Ordinal)).ToList();
        Assert.True(attempts.Count >= 2, output);
        // One line per attempt, no stack trace, no exception dump, no password.
        Assert.DoesNotMatch(@"(?m)^\s+at ", output + errors);
        Assert.DoesNotContain("Exception", output + errors);
        Assert.DoesNotContain("secret-pw-123", output + errors);
        Assert.DoesNotContain("Now listening", output);
    }

    [Theory]
    [InlineData("Switchboard__ListCacheTtl", "maybe", "Switchboard:ListCacheTtl")]
    [InlineData("Switchboard__ReleaseStartupMemory", "maybe", "Switchboard:ReleaseStartupMemory")]
    [InlineData("Switchboard__Health__Timeout", "xx", "Switchboard:Health:Timeout")]
    [InlineData("Switchboard__RateLimit__Enabled", "maybe", "Switchboard:RateLimit:Enabled")]
    [InlineData("Switchboard__Outbound__AllowedNetworks", "nonsense", "Switchboard:Outbound:AllowedNetworks")]
    [InlineData("Switchboard__LoginThrottle__MaxFailures", "0", "Switchboard:LoginThrottle")]
    public async Task A_malformed_setting_stops_the_start_with_one_line_naming_it(string variable, string value, string named)
    {
        await using var database = await TestDatabase.CreateAsync();
        using var dir = new TempDirectory();
        var env = ServiceEnvironment(database.Provider, database.ConnectionString);
        env[variable] = value;
        var (code, output, errors) = await Executable.RunAsync(dir.Path, env, ["--urls", "http://127.0.0.1:0"], TimeSpan.FromSeconds(60));

        Assert.True(code == 1, $"exit {code}\nstdout: {output}\nstderr: {errors}");
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: invalid setting: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotMatch(@"(?m)^\s+at ", output + errors);
        Assert.DoesNotContain("Unhandled exception", output + errors);
        Assert.DoesNotContain("Now listening", output);

        // An admin command reads the same settings and ends the same way (its log, on stderr too, may say it first).
        var (adminCode, _, adminErrors) = await Executable.RunAsync(dir.Path, env, ["accounts", "list"], TimeSpan.FromSeconds(60));
        Assert.True(adminCode == 1, $"exit {adminCode}\nstderr: {adminErrors}");
        Assert.Equal(line, adminErrors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last());
        Assert.DoesNotMatch(@"(?m)^\s+at ", adminErrors);
    }

    [Fact]
    public void Every_settings_section_is_checked_at_start()
    {
        var bound = typeof(SwitchboardOptions).Assembly.GetTypes()
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .ToHashSet();
        Assert.NotEmpty(bound);
        Assert.Equal(bound.OrderBy(t => t.FullName), SettingsCheck.Sections.Select(s => s.Type).OrderBy(t => t.FullName));
        foreach (var (section, type) in SettingsCheck.Sections)
            Assert.Equal(type.GetField("Section")!.GetRawConstantValue(), section);
    }

    [Fact]
    public async Task A_database_that_comes_up_during_the_wait_is_used()
    {
        if (!TestDatabase.IsPostgres) return; // an unreachable SQLite file is not a thing that comes up later
        var server = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_PG")!);
        var name = "sb_late_" + Guid.NewGuid().ToString("N")[..12];
        var cs = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
        using var dir = new TempDirectory();
        var env = ServiceEnvironment("postgres", cs);
        env["Switchboard__Database__StartupTimeout"] = "00:01:00";
        await using var run = Executable.Start(dir.Path, env, "--urls", "http://127.0.0.1:0");
        try
        {
            Assert.True(await run.WaitForOutputAsync("Database not reachable (attempt 1", TimeSpan.FromSeconds(60)), run.Stdout + run.Stderr);
            await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
            Assert.True(await run.WaitForOutputAsync("try: curl", TimeSpan.FromSeconds(60)), run.Stdout + run.Stderr);
            Assert.Contains("Database reachable after", run.Stdout);
        }
        finally
        {
            await run.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    [Fact]
    public async Task A_first_start_on_a_fresh_database_logs_no_error()
    {
        var app = new SwitchboardApp();
        try
        {
            await ((IAsyncLifetime)app).InitializeAsync();
            await (await app.CreateClient().GetAsync("/readyz")).ShouldBe(HttpStatusCode.OK);
            var errors = app.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }

    [Fact]
    public async Task With_json_console_logs_every_stdout_line_is_one_json_object_and_the_banner_is_one_of_them()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var dir = new TempDirectory();
        var env = ServiceEnvironment(database.Provider, database.ConnectionString);
        env["Logging__Console__FormatterName"] = "json";
        await using var run = Executable.Start(dir.Path, env, "--urls", "http://127.0.0.1:0");
        Assert.True(await run.WaitForOutputAsync(StartupBanner.Category, TimeSpan.FromSeconds(90)), run.Stdout + run.Stderr);

        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var records = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList(); // throws on any line that is not JSON
        Assert.DoesNotContain(records, r => r["LogLevel"]?.GetValue<string>() is "Error" or "Critical");
        var banner = Assert.Single(records, r => r["Category"]?.GetValue<string>() == StartupBanner.Category);
        var key = banner["State"]!["api_key"]!.GetValue<string>();
        Assert.Matches("^sk_live_[a-z0-9]+_[A-Za-z0-9]{38}$", key);
        var address = banner["State"]!["listening_on"]![0]!.GetValue<string>();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", address);
        Assert.Equal($"curl -H \"Authorization: Bearer {key}\" {address}/api/v1/integrations", banner["State"]!["try"]!.GetValue<string>());

        using var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        await (await client.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
        // The request line is JSON too, with the route pattern as a field.
        Assert.True(await WaitUntil(() => run.Stdout.Contains("\"Route\":\"/api/v1/integrations/\"", StringComparison.Ordinal)), run.Stdout);
    }

    [Fact]
    public async Task Dotnet_run_honours_ASPNETCORE_URLS_and_PublicBaseUrl_follows_the_listen_address()
    {
        var project = Path.Combine(RepositoryRoot(), "src", "Switchboard");
        using var dir = new TempDirectory();
        var port = FreePort();
        var env = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Switchboard__Health__CheckOnInstall"] = "false",
            ["Switchboard__Health__Enabled"] = "false",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var start = Executable.StartInfo("dotnet", dir.Path, env, ["run", "--no-build", "-c", configuration, "--project", project]);
        await using var run = Executable.Start(start);
        Assert.True(await run.WaitForOutputAsync("try: curl", TimeSpan.FromSeconds(120)), run.Stdout + run.Stderr);
        Assert.Contains($" listening on http://127.0.0.1:{port}", run.Stdout);
        // The launch profile's Development environment still applies (it made the key file here, in the working directory).
        Assert.True(File.Exists(Path.Combine(dir.Path, "data", "master-keys.json")), string.Join(", ", dir.Entries()));

        var key = KeyLine().Match(run.Stdout).Groups[1].Value;
        var projectId = ProjectLine().Match(run.Stdout).Groups[1].Value;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        var link = await (await client.PostAsync($"/api/v1/projects/{projectId}/integrations/stripe/install-url", null)).ShouldBe(HttpStatusCode.OK);
        Assert.StartsWith($"http://127.0.0.1:{port}/connect/", link["data"]!["install_url"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("http://127.0.0.1:5081", "http://127.0.0.1:5081")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080")]
    [InlineData("http://+:8080", "http://127.0.0.1:8080")]
    [InlineData("http://*:8080", "http://127.0.0.1:8080")]
    [InlineData("http://[::]:8080", "http://[::1]:8080")]
    [InlineData("https://switchboard.internal:8443/", "https://switchboard.internal:8443")]
    [InlineData("http://127.0.0.1:0", null)]
    public void A_listen_address_becomes_the_default_public_base_url(string address, string? expected) =>
        Assert.Equal(expected, PublicBaseUrlDefault.Usable(address));

    [GeneratedRegex(@"^\s+(sk_live_\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"project (prj_[a-z0-9]+)")]
    private static partial Regex ProjectLine();

    private static async Task<bool> WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(100);
        return condition();
    }

    private static async Task ExecuteAsync(NpgsqlConnectionStringBuilder server, string sql)
    {
        var admin = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A loopback port nothing listens on (bound and released at once).</summary>
    private static int ClosedPort() => FreePort();

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Switchboard.slnx not found above " + AppContext.BaseDirectory);
    }
}
