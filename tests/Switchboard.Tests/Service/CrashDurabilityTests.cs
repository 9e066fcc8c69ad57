using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.Tests.Health;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using Xunit.Abstractions;

namespace Switchboard.Tests.Service;

/// <summary>
/// Durability under SIGKILL, on the configured database (SQLite or PostgreSQL): the built service runs as a child
/// process under a bounded load of installs and OAuth credential reads (16 concurrent) and is killed with SIGKILL three
/// times mid-load, restarted each time on the same database. Then every acknowledged install must be there with the
/// fingerprint its response named, and decrypt (through the product's own health check, which sends the decrypted secret to
/// a loopback stand-in) to the secret that was sent; every acknowledged credential read must have its credentials.read
/// audit event. A read is matched to its event by the client address: each read comes from its own loopback address
/// (127.x.y.z), which the service records as the event's client_ip.
/// What this proves is that nothing is acknowledged before it is committed; the database server itself is not crashed
/// (the suite's PostgreSQL runs with fsync off; bench/run.sh --db postgres measures with the server's defaults).
/// </summary>
[Collection("oauth")]
public sealed class CrashDurabilityTests(OAuthServer idp, ITestOutputHelper output)
{
    private const int Workers = 16, InstallsPerWorker = 64, Users = 4, Kills = 3;
    private const string SecretPrefix = "sk_test_good"; // the stand-in answers 200 to "Bearer sk_test_good…"

    [Fact]
    public async Task Every_acknowledged_install_and_credential_read_survives_repeated_SIGKILLs()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var database = await TestDatabase.CreateAsync();
        await using var standIn = await StandInProvider.StartAsync();
        var workDir = Directory.CreateTempSubdirectory("switchboard-crash-");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Switchboard__Database__Provider"] = database.Provider,
            ["Switchboard__Database__ConnectionString"] = database.ConnectionString,
            ["Switchboard__Crypto__Keys"] = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Switchboard__Bootstrap"] = "true",
            ["Switchboard__RateLimit__Enabled"] = "false",
            // No automatic credential checks (install-time included): the verification below runs them on request.
            ["Switchboard__Health__Enabled"] = "false",
            ["Switchboard__Outbound__AllowedNetworks"] = "127.0.0.0/8",
            // The URL the test OAuth server has registered as redirect_uri; the test delivers callbacks to the real port.
            ["Switchboard__PublicBaseUrl"] = OAuthDriver.PublicBase,
            ["Switchboard__OAuth__WorkerEnabled"] = "false",
        };
        var startTimeout = TimeSpan.FromSeconds(90);
        ServiceProcess? service = null;
        try
        {
            service = await ServiceProcess.StartAsync(environment, workDir.FullName, startTimeout);
            output.WriteLine($"started at {clock.Elapsed.TotalSeconds:0.0} s");
            var adminKey = await service.BootstrapKeyAsync(TimeSpan.FromSeconds(30));
            var setup = await SetUpAsync(service.BaseUrl, adminKey, standIn.Url);
            output.WriteLine($"setup done at {clock.Elapsed.TotalSeconds:0.0} s");

            var load = new Load(setup);
            var total = load.TotalOps;
            var killsInFlight = new List<int>();
            for (var phase = 0; phase <= Kills; phase++)
            {
                if (phase > 0)
                {
                    service = await ServiceProcess.StartAsync(environment, workDir.FullName, startTimeout);
                    output.WriteLine($"restarted at {clock.Elapsed.TotalSeconds:0.0} s");
                }
                var run = load.RunPhaseAsync(service.BaseUrl);
                if (phase < Kills)
                {
                    var threshold = (int)(total * (0.15 + 0.25 * phase + Random.Shared.NextDouble() * 0.05));
                    while (load.Processed < threshold && !run.IsCompleted) await Task.Delay(5);
                    killsInFlight.Add(load.InFlight);
                    service.Kill();
                    output.WriteLine($"SIGKILL {phase + 1} at {clock.Elapsed.TotalSeconds:0.0} s: {load.Processed}/{total} ops processed, {killsInFlight[^1]} in flight");
                }
                await run;
                if (phase < Kills) await service.DisposeAsync();
            }
            output.WriteLine($"load done at {clock.Elapsed.TotalSeconds:0.0} s: {load.Summary}");
            Assert.Empty(load.Unexpected);
            Assert.Equal(total, load.Processed);
            Assert.True(killsInFlight.Sum() > 0, "no request was in flight at any SIGKILL: the kills tested nothing");
            Assert.True(load.AckedInstalls.Count > total / 4 && load.AckedReads.Count > total / 4, load.Summary);

            await VerifyInstallsAsync(service.BaseUrl, setup, load, standIn);
            output.WriteLine($"installs verified at {clock.Elapsed.TotalSeconds:0.0} s");
            await VerifyReadAuditAsync(service.BaseUrl, setup, load);
            output.WriteLine($"verified at {clock.Elapsed.TotalSeconds:0.0} s on {database.Provider}");
        }
        finally
        {
            if (service is not null) await service.DisposeAsync();
            try { workDir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    // ------------------------------------------------------------------ setup (first start)

    private sealed record Setup(string AdminKey, string[] WorkerKeys, string OAuthIntegrationId, string[] UserIds);

    private static string ProviderName(int c) => $"crash_{c:000}";

    private async Task<Setup> SetUpAsync(string baseUrl, string adminKey, string standInUrl)
    {
        using var admin = Client(baseUrl, adminKey);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // One custom API-key provider per install slot, verified against the stand-in; each worker installs every one of
        // them once in its own project, so every install creates a row of its own and none overwrites an earlier one.
        await ParallelAsync(Enumerable.Range(0, InstallsPerWorker), 4, async c =>
            await (await admin.PostJson("/api/v1/providers", new Dictionary<string, object?>
            {
                ["name"] = ProviderName(c),
                ["display_name"] = $"Crash {c}",
                ["description"] = "A stand-in provider for the crash test.",
                ["category"] = "developer_tools",
                ["auth_type"] = "API_KEY",
                ["api_base_url"] = standInUrl,
                ["docs_url"] = "https://example.com/docs",
                ["logo_url"] = "https://example.com/logo.png",
                ["params"] = Array.Empty<object>(),
                ["secrets"] = new[] { new { name = "api_key", type = "string", required = true, description = "The key." } },
                ["verify"] = new { method = "GET", path = "/verify", headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secrets.api_key}" } },
                ["inject"] = new { headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secrets.api_key}" } },
            })).ShouldBe(HttpStatusCode.Created));

        output.WriteLine($"  providers {watch.Elapsed.TotalSeconds:0.0} s");
        var workerKeys = new string[Workers];
        await ParallelAsync(Enumerable.Range(0, Workers), 4, async w =>
        {
            var project = await (await admin.PostJson("/api/v1/projects", new { name = $"crash-{w}" })).ShouldBe(HttpStatusCode.Created);
            var key = await (await admin.PostJson("/api/v1/api-keys", new
            {
                name = $"crash-worker-{w}",
                scopes = new[] { "integrations:write", "read" },
                project_id = project["data"]!["id"]!.GetValue<string>(),
            })).ShouldBe(HttpStatusCode.Created);
            workerKeys[w] = key["key"]!.GetValue<string>();
        });

        output.WriteLine($"  projects {watch.Elapsed.TotalSeconds:0.0} s");
        // The OAuth integration whose end users' tokens the load reads, connected through the real consent flow.
        await (await admin.PostJson("/api/v1/providers", OAuthDriver.LocalProvider(idp, "crash_idp"))).ShouldBe(HttpStatusCode.Created);
        var installed = await (await admin.PostJson("/api/v1/integrations/crash_idp/install", new
        {
            @params = new { client_id = "sb-client" },
            secrets = new { client_secret = OAuthServer.Secret("sb-client") },
        })).ShouldBe(HttpStatusCode.OK);
        var cid = installed["id"]!.GetValue<string>();
        var users = Enumerable.Range(0, Users).Select(u => $"crash-user-{u}").ToArray();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var user in users)
        {
            var auth = await (await admin.PostJson($"/api/v1/integrations/{cid}/users/{user}/auth-url", new { })).ShouldBe(HttpStatusCode.Created);
            var start = await browser.GetAsync(baseUrl + OAuthDriver.ToLocal(auth["authorizeUrl"]!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
            var back = await OAuthDriver.WalkProviderAsync(start.Headers.Location!.ToString());
            var callback = await browser.GetAsync(baseUrl + OAuthDriver.ToLocal(back));
            Assert.True(callback.IsSuccessStatusCode, $"callback answered {(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync()}");
            var status = await (await admin.GetAsync($"/api/v1/integrations/{cid}/users/{user}")).ShouldBe(HttpStatusCode.OK);
            Assert.Equal("active", status["status"]!.GetValue<string>());
        }
        return new Setup(adminKey, workerKeys, cid, users);
    }

    // ------------------------------------------------------------------ the load

    private enum Outcome { NotSent, Acknowledged, Unknown }

    private sealed class InstallAttempt(int worker, int provider)
    {
        public int Worker { get; } = worker;
        public int Provider { get; } = provider;
        public string Secret { get; } = SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        public string? Fingerprint { get; set; }
        public Outcome Outcome { get; set; }
    }

    private sealed class ReadAttempt(string user, IPAddress source)
    {
        public string User { get; } = user;
        public IPAddress Source { get; } = source;
        public Outcome Outcome { get; set; }
    }

    /// <summary>16 workers, each with its own sequence of operations (install, read, install, …) resumed after every restart.</summary>
    private sealed class Load
    {
        private readonly Setup _setup;
        private readonly List<object>[] _ops = new List<object>[Workers];
        private readonly int[] _next = new int[Workers];
        private int _processed, _inFlight;
        public ConcurrentQueue<string> Unexpected { get; } = new();
        public List<InstallAttempt> Installs { get; } = [];
        public List<ReadAttempt> Reads { get; } = [];

        public Load(Setup setup)
        {
            _setup = setup;
            var address = 0;
            for (var w = 0; w < Workers; w++)
            {
                _ops[w] = [];
                for (var c = 0; c < InstallsPerWorker; c++)
                {
                    var install = new InstallAttempt(w, c);
                    address++;
                    // 127.1.0.1, 127.1.0.2, …: never 127.0.0.1, never a .0 or .255 last octet.
                    var read = new ReadAttempt(setup.UserIds[(w + c) % setup.UserIds.Length],
                        new IPAddress([127, (byte)(1 + address / 254 / 256), (byte)(address / 254 % 256), (byte)(1 + address % 254)]));
                    Installs.Add(install);
                    Reads.Add(read);
                    _ops[w].Add(install);
                    _ops[w].Add(read);
                }
            }
        }

        public int TotalOps => Installs.Count + Reads.Count;
        public int Processed => Volatile.Read(ref _processed);
        public int InFlight => Volatile.Read(ref _inFlight);
        public List<InstallAttempt> AckedInstalls => Installs.Where(i => i.Outcome == Outcome.Acknowledged).ToList();
        public List<ReadAttempt> AckedReads => Reads.Where(r => r.Outcome == Outcome.Acknowledged).ToList();

        public string Summary =>
            $"installs {AckedInstalls.Count} acknowledged / {Installs.Count(i => i.Outcome == Outcome.Unknown)} unknown, " +
            $"reads {AckedReads.Count} acknowledged / {Reads.Count(r => r.Outcome == Outcome.Unknown)} unknown, {Unexpected.Count} unexpected answers";

        /// <summary>Runs every worker until its operations are done or the service stops answering (it was killed).</summary>
        public Task RunPhaseAsync(string baseUrl) => Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => RunWorkerAsync(w, baseUrl))));

        private async Task RunWorkerAsync(int w, string baseUrl)
        {
            IPAddress source = IPAddress.Loopback;
            using var installs = Client(baseUrl, _setup.WorkerKeys[w]);
            // One connection per read, bound to the read's own source address (requests of one worker never overlap).
            using var reads = new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.Zero,
                ConnectCallback = async (context, ct) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        socket.Bind(new IPEndPoint(source, 0));
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
            reads.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _setup.AdminKey);

            while (_next[w] < _ops[w].Count)
            {
                var op = _ops[w][_next[w]++];
                Interlocked.Increment(ref _inFlight);
                try
                {
                    if (op is InstallAttempt install)
                    {
                        install.Outcome = Outcome.Unknown;
                        using var response = await installs.PostJson($"/api/v1/integrations/{ProviderName(install.Provider)}/install",
                            new { secrets = new { api_key = install.Secret } });
                        var text = await response.Content.ReadAsStringAsync();
                        if (response.StatusCode != HttpStatusCode.OK) { Unexpected.Enqueue($"install: {(int)response.StatusCode} {text}"); continue; }
                        install.Fingerprint = JsonNode.Parse(text)!["secrets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "api_key")!
                            ["fingerprint"]!.GetValue<string>();
                        install.Outcome = Outcome.Acknowledged;
                    }
                    else if (op is ReadAttempt read)
                    {
                        read.Outcome = Outcome.Unknown;
                        source = read.Source;
                        using var request = new HttpRequestMessage(HttpMethod.Get,
                            $"/api/v1/integrations/{_setup.OAuthIntegrationId}/users/{read.User}/credentials");
                        request.Headers.ConnectionClose = true;
                        using var response = await reads.SendAsync(request);
                        var text = await response.Content.ReadAsStringAsync();
                        if (response.StatusCode != HttpStatusCode.OK) { Unexpected.Enqueue($"read: {(int)response.StatusCode} {text}"); continue; }
                        if (string.IsNullOrEmpty(JsonNode.Parse(text)!["accessToken"]?.GetValue<string>())) { Unexpected.Enqueue("read without a token"); continue; }
                        read.Outcome = Outcome.Acknowledged;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    // The service went away (SIGKILL) with this request in flight, or before it was sent: its outcome is
                    // unknown. This worker waits for the next start.
                    return;
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                    Interlocked.Increment(ref _processed);
                }
            }
        }
    }

    // ------------------------------------------------------------------ verification (after the last restart)

    private async Task VerifyInstallsAsync(string baseUrl, Setup setup, Load load, StandInProvider standIn)
    {
        var problems = new ConcurrentQueue<string>();
        var presentUnknown = 0;
        await ParallelAsync(Enumerable.Range(0, Workers), Workers, async w =>
        {
            using var client = Client(baseUrl, setup.WorkerKeys[w]);
            foreach (var attempt in load.Installs.Where(i => i.Worker == w && i.Outcome != Outcome.NotSent))
            {
                var name = ProviderName(attempt.Provider);
                var view = (await (await client.GetAsync($"/api/v1/integrations/{name}")).ShouldBe(HttpStatusCode.OK)).AsObject();
                var installed = view["status"]!.GetValue<string>() == "installed";
                if (attempt.Outcome == Outcome.Unknown && !installed) continue; // never committed: allowed
                if (!installed) { problems.Enqueue($"{name} of worker {w}: acknowledged but {view["status"]}"); continue; }
                var fingerprint = view["secrets"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == "api_key")?["fingerprint"]?.GetValue<string>();
                if (attempt.Outcome == Outcome.Acknowledged && fingerprint != attempt.Fingerprint)
                    problems.Enqueue($"{name} of worker {w}: fingerprint {fingerprint}, acknowledged {attempt.Fingerprint}");
                if (attempt.Outcome == Outcome.Unknown) Interlocked.Increment(ref presentUnknown);
                // Decrypted by the service itself: the check sends "Bearer <stored secret>" to the stand-in.
                var health = await (await client.PostAsync($"/api/v1/integrations/{name}/health/check", null)).ShouldBe(HttpStatusCode.OK);
                if (health["health_status"]!.GetValue<string>() != "healthy") problems.Enqueue($"{name} of worker {w}: check {health}");
                if (standIn.CountFor("Bearer " + attempt.Secret) == 0) problems.Enqueue($"{name} of worker {w}: the stand-in never saw the secret that was sent");
            }
        });
        output.WriteLine($"installs verified: {load.AckedInstalls.Count} acknowledged present and decrypted, {presentUnknown} unacknowledged also committed");
        Assert.True(problems.IsEmpty, $"{problems.Count} lost or wrong installs, e.g.:\n" + string.Join('\n', problems.Take(10)));
    }

    private async Task VerifyReadAuditAsync(string baseUrl, Setup setup, Load load)
    {
        using var admin = Client(baseUrl, setup.AdminKey);
        var audited = new Dictionary<string, int>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync("/api/v1/audit-log?action=credentials.read&limit=200" + (cursor is null ? "" : "&cursor=" + cursor)))
                .ShouldBe(HttpStatusCode.OK);
            foreach (var e in page["data"]!.AsArray())
            {
                var ip = e!["client_ip"]?.GetValue<string>() ?? "";
                audited[ip] = audited.GetValueOrDefault(ip) + 1;
            }
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);

        var sent = load.Reads.Where(r => r.Outcome != Outcome.NotSent).Select(r => r.Source.ToString()).ToHashSet();
        var missing = load.AckedReads.Where(r => !audited.ContainsKey(r.Source.ToString())).ToList();
        output.WriteLine($"reads verified: {load.AckedReads.Count} acknowledged, {audited.Values.Sum()} credentials.read events, {missing.Count} missing");
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged credential reads have no audit event, e.g. from {string.Join(", ", missing.Take(5).Select(m => m.Source))}");
        Assert.All(audited, a => Assert.True(sent.Contains(a.Key) && a.Value == 1, $"audit event from {a.Key} ×{a.Value}: not one read sent from there"));
    }

    // ------------------------------------------------------------------ helpers

    private static HttpClient Client(string baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static Task ParallelAsync<T>(IEnumerable<T> items, int degree, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = degree }, async (item, _) => await body(item));
}
