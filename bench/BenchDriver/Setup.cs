using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BenchDriver;

/// <summary>Arranges the bench's data through the service's public API, as a tenant would.</summary>
public static class Setup
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static HttpClient Client(string baseUrl, int connections = 32) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };

    public static async Task<JsonNode> SendAsync(HttpClient http, HttpMethod method, string path, string key, object? body,
        HttpStatusCode expect)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expect)
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}, expected {(int)expect}: {Cut(text)}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private static string Cut(string s) => s.Length > 400 ? s[..400] + "…" : s;

    public static string Random(int length) =>
        string.Create(length, 0, (span, _) => { for (var i = 0; i < span.Length; i++) span[i] = Alnum[RandomNumberGenerator.GetInt32(Alnum.Length)]; });

    public static Task ParallelAsync<T>(IEnumerable<T> items, int degree, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = degree }, async (item, _) => await body(item));

    /// <summary>N projects, each with one key restricted to it; the keys go to --out, one a line.</summary>
    public static async Task<string> ProjectsAsync(Options o)
    {
        var key = o.Get("key");
        var count = o.Int("count");
        var prefix = o.Get("prefix");
        var scopes = o.Get("scopes").Split(',', StringSplitOptions.RemoveEmptyEntries);
        using var http = Client(o.Get("base"));
        var keys = new string[count];
        await ParallelAsync(Enumerable.Range(0, count), o.Int("parallel", 8), async i =>
        {
            var project = await SendAsync(http, HttpMethod.Post, "/api/v1/projects", key, new { name = $"{prefix}-{i}" }, HttpStatusCode.Created);
            var created = await SendAsync(http, HttpMethod.Post, "/api/v1/api-keys", key,
                new { name = $"{prefix}-{i}", scopes, project_id = project["data"]!["id"]!.GetValue<string>() }, HttpStatusCode.Created);
            keys[i] = created["key"]!.GetValue<string>();
        });
        await File.WriteAllLinesAsync(o.Get("out"), keys);
        return $"PROJECTS count={count}";
    }

    /// <summary>Custom API_KEY providers whose verification request goes to --api-base (never called by the bench).</summary>
    public static async Task<string> ProvidersAsync(Options o)
    {
        var key = o.Get("key");
        var count = o.Int("count");
        var prefix = o.Get("prefix");
        var apiBase = o.Get("api-base");
        using var http = Client(o.Get("base"));
        await ParallelAsync(Enumerable.Range(0, count), o.Int("parallel", 4), async i =>
            await SendAsync(http, HttpMethod.Post, "/api/v1/providers", key, new Dictionary<string, object?>
            {
                ["name"] = $"{prefix}{i:000}",
                ["display_name"] = $"Bench provider {i}",
                ["description"] = "A custom provider created by bench/run.sh.",
                ["category"] = "developer_tools",
                ["auth_type"] = "API_KEY",
                ["api_base_url"] = apiBase,
                ["docs_url"] = "https://example.com/docs",
                ["logo_url"] = "https://example.com/logo.png",
                ["params"] = Array.Empty<object>(),
                ["secrets"] = new[] { new { name = "api_key", type = "string", required = true, description = "The key." } },
                ["verify"] = new { method = "GET", path = "/verify", headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secrets.api_key}" } },
                ["inject"] = new { headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secrets.api_key}" } },
            }, HttpStatusCode.Created));
        return $"PROVIDERS count={count}";
    }

    /// <summary>Every provider named installed in the project of every key of --keys, through POST …/install.</summary>
    public static async Task<string> InstallAsync(Options o)
    {
        var keys = (await File.ReadAllLinesAsync(o.Get("keys"))).Where(k => k.Length > 0).ToArray();
        var providers = o.Find("provider") is { } one ? [one]
            : Enumerable.Range(0, o.Int("provider-count")).Select(i => $"{o.Get("provider-prefix")}{i:000}").ToArray();
        var parallel = o.Int("parallel", 16);
        using var http = Client(o.Get("base"), parallel);
        var codes = new ConcurrentDictionary<int, int>();
        var work = keys.SelectMany(k => providers.Select(p => (Key: k, Provider: p)));
        var started = DateTime.UtcNow;
        await ParallelAsync(work, parallel, async w =>
        {
            object body = w.Provider == "stripe"
                ? new { @params = new { api_version = "2024-06-20" }, secrets = new { api_key = "sk_test_" + Random(24), webhook_secret = "whsec_" + Random(16) } }
                : new { secrets = new { api_key = "bench_" + Random(24) } };
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{w.Provider}/install")
            {
                Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", w.Key);
            using var response = await http.SendAsync(request);
            codes.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        });
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        var ok = codes.GetValueOrDefault(200);
        var total = codes.Values.Sum();
        return FormattableString.Invariant(
            $"INSTALL ok={ok} failed={total - ok} per_s={ok / seconds:0.0} codes={string.Join(',', codes.OrderBy(c => c.Key).Select(c => $"{c.Key}:{c.Value}"))}");
    }

    /// <summary>A custom OAuth provider for the loopback oidc-provider, installed in the key's project.</summary>
    public static async Task<string> OAuthAppAsync(Options o)
    {
        var key = o.Get("key");
        var name = o.Get("name");
        var issuer = o.Get("issuer");
        var client = o.Get("client");
        var machine = o.Flag("machine");
        using var http = Client(o.Get("base"));
        var field = (string n) => new { name = n, type = "string", required = true, description = n };
        await SendAsync(http, HttpMethod.Post, "/api/v1/providers", key, new Dictionary<string, object?>
        {
            ["name"] = name,
            ["display_name"] = "Bench IdP",
            ["description"] = "The bench's loopback authorization server (oidc-provider).",
            ["category"] = "developer_tools",
            ["auth_type"] = machine ? "OAUTH2_CLIENT_CREDENTIALS" : "OAUTH2",
            ["api_base_url"] = issuer,
            ["docs_url"] = "https://github.com/panva/node-oidc-provider",
            ["logo_url"] = "https://example.com/logo.png",
            ["params"] = new[] { field("client_id") },
            ["secrets"] = new[] { field("client_secret") },
            ["oauth"] = machine
                ? new Dictionary<string, object?> { ["token_url"] = issuer + "/token", ["default_scopes"] = new[] { "api:read" }, ["pkce"] = false }
                : new Dictionary<string, object?>
                {
                    ["authorize_url"] = issuer + "/auth",
                    ["token_url"] = issuer + "/token",
                    ["revoke_url"] = issuer + "/token/revocation",
                    ["default_scopes"] = new[] { "openid", "offline_access" },
                    ["pkce"] = true,
                    ["extra_authorize_params"] = new Dictionary<string, string> { ["prompt"] = "consent" },
                },
        }, HttpStatusCode.Created);
        var installed = await SendAsync(http, HttpMethod.Post, $"/api/v1/integrations/{name}/install", key, new
        {
            @params = new { client_id = client },
            secrets = new { client_secret = $"{client}-secret-0123456789abcdef" },
        }, HttpStatusCode.OK);
        return $"OAUTHAPP id={installed["id"]!.GetValue<string>()}";
    }

    /// <summary>How many of the installed integrations a credential check ever ran for (last_synced_at set).</summary>
    public static async Task<string> ChecksAsync(Options o)
    {
        var keys = (await File.ReadAllLinesAsync(o.Get("keys"))).Where(k => k.Length > 0).ToArray();
        var provider = o.Get("provider");
        using var http = Client(o.Get("base"));
        var checkedCount = 0;
        var healthy = 0;
        await ParallelAsync(keys, 8, async key =>
        {
            var health = await SendAsync(http, HttpMethod.Get, $"/api/v1/integrations/{provider}/health", key, null, HttpStatusCode.OK);
            if (health["last_synced_at"] is not null) Interlocked.Increment(ref checkedCount);
            if (health["health_status"]?.GetValue<string>() == "healthy") Interlocked.Increment(ref healthy);
        });
        return string.Create(CultureInfo.InvariantCulture, $"CHECKS integrations={keys.Length} checked={checkedCount} healthy={healthy}");
    }
}
