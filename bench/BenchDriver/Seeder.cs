using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard;
using Switchboard.Sealing;
using Switchboard.Store;

namespace BenchDriver;

/// <summary>
/// Stores many end-user connections at once, for the memory figures (100,000 through the real consent flow would take
/// this machine most of an hour). Written with the service's own EF model and its SecretBox under the service's master
/// key, the way the OAuth callback stores them (status active, access and refresh token sealed to their row and field),
/// so the service's read path finds, decrypts and audits them like any other. The tokens are random strings valid for a
/// day: a credential read serves them without calling any provider.
/// </summary>
public static class Seeder
{
    public sealed record Tokens(string UserId, string AccessToken, string RefreshToken, DateTime ExpiresAt);

    /// <summary>--count connections with random tokens valid for a day (for the memory figures).</summary>
    public static async Task<string> SeedConnectionsAsync(Options o)
    {
        var prefix = o.Get("prefix");
        var now = DateTime.UtcNow;
        var tokens = Enumerable.Range(0, o.Int("count")).Select(i =>
            new Tokens(prefix + i.ToString(CultureInfo.InvariantCulture), "at_" + Setup.Random(43), "rt_" + Setup.Random(43), now.AddDays(1)));
        return await StoreAsync(o, tokens);
    }

    /// <summary>
    /// The refresh storm's connections: real grants minted by the bench's oidc-provider (POST /bench/mint, the storm armed),
    /// each with the access token's real expiry, stored as the callback would store them.
    /// </summary>
    public static async Task<string> SeedMintedAsync(Options o)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var response = await http.PostAsync($"{o.Get("issuer")}/bench/mint?count={o.Int("count")}&prefix={Uri.EscapeDataString(o.Get("prefix"))}", null);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"mint answered {(int)response.StatusCode}: {text}");
        var now = DateTime.UtcNow;
        var minted = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray().Select(t => new Tokens(
            t!["user"]!.GetValue<string>(), t["access_token"]!.GetValue<string>(), t["refresh_token"]!.GetValue<string>(),
            now.AddSeconds(t["expires_in"]!.GetValue<double>()))).ToList();
        return await StoreAsync(o, minted);
    }

    private static async Task<string> StoreAsync(Options o, IEnumerable<Tokens> tokens)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSwitchboardDb(new DatabaseOptions { Provider = o.Get("db-provider"), ConnectionString = o.Get("db") });
        await using var provider = services.BuildServiceProvider();
        var box = new SecretBox(KeyRing.FromInline(o.Get("crypto"), null));
        var integrationId = Guid.Parse(o.Get("cid"));
        var batch = o.Int("batch", 2000);

        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == integrationId);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var started = DateTime.UtcNow;
        var count = 0;
        foreach (var chunk in tokens.Chunk(batch))
        {
            var now = DateTime.UtcNow;
            foreach (var t in chunk)
            {
                var id = Guid.CreateVersion7();
                db.Add(new OAuthConnection
                {
                    Id = id,
                    AccountId = integration.AccountId,
                    ProjectId = integration.ProjectId,
                    IntegrationId = integration.Id,
                    UserId = t.UserId,
                    Status = ConnectionStatus.Active,
                    Scopes = "openid offline_access",
                    TokenType = "Bearer",
                    AccessToken = box.EncryptString(t.AccessToken, SealedFields.TokenAad(integration.AccountId, id, "access_token")),
                    RefreshToken = box.EncryptString(t.RefreshToken, SealedFields.TokenAad(integration.AccountId, id, "refresh_token")),
                    ExpiresAt = t.ExpiresAt,
                    ConnectedAt = now,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
            count += chunk.Length;
        }
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture, $"SEED connections={count} per_s={count / seconds:0.0}");
    }
}
