using System.Net;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crypto;

public sealed class KeyRotationTests : IAsyncLifetime
{
    private static readonly string K1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string K2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static Dictionary<string, string?> Keys(string spec, string active) =>
        new() { ["Switchboard:Crypto:Keys"] = spec, ["Switchboard:Crypto:ActiveKeyId"] = active };

    [Fact]
    public async Task Rotation_interrupted_halfway_leaves_every_secret_readable_and_a_rerun_finishes_it()
    {
        var expected = new Dictionary<(string Integration, string Name), string>();
        TestAccount account;
        await using (var before = await NodeApp.StartAsync(_db, Keys($"k1:{K1}", "k1")))
        {
            account = await before.CreateAccountAsync();
            var client = account.Client();
            await (await client.PostJson("/api/v1/integrations/stripe/install",
                new { secrets = new { api_key = "sk_live_AAAAAAAAAAAAAAAA", webhook_secret = "whsec_BBBBBBBB" } })).ShouldBe(HttpStatusCode.OK);
            await (await client.PostJson("/api/v1/integrations/twilio/install",
                new { secrets = new { account_sid = "AC" + new string('a', 32), auth_token = "cccccccccccccccccccccccccccccccc" } })).ShouldBe(HttpStatusCode.OK);
            await (await client.PostJson("/api/v1/integrations/openai/install",
                new { secrets = new { api_key = "sk-proj-DDDDDDDDDDDDDDDDDDDDDDDD" } })).ShouldBe(HttpStatusCode.OK);
            expected[("stripe", "api_key")] = "sk_live_AAAAAAAAAAAAAAAA";
            expected[("stripe", "webhook_secret")] = "whsec_BBBBBBBB";
            expected[("twilio", "account_sid")] = "AC" + new string('a', 32);
            expected[("twilio", "auth_token")] = "cccccccccccccccccccccccccccccccc";
            expected[("openai", "api_key")] = "sk-proj-DDDDDDDDDDDDDDDDDDDDDDDD";
        }

        await using (var both = await NodeApp.StartAsync(_db, Keys($"k1:{K1};k2:{K2}", "k2")))
        {
            var first = await RewrapAsync(both, maxRows: 2);
            Assert.Equal(2, first.Rewrapped);
            Assert.Equal(3, first.Remaining);
            var keyIds = await both.WithDbAsync(db => db.IntegrationSecrets.AsNoTracking().Where(s => s.AccountId == account.AccountId).Select(s => s.KeyId).ToListAsync());
            Assert.Equal(2, keyIds.Count(k => k == "k2"));
            Assert.Equal(3, keyIds.Count(k => k == "k1"));
            await AssertAllDecrypt(both, account.AccountId, expected);

            // Reads and new writes keep working in the mixed state.
            await (await both.ClientWithKey(account.ApiKey).GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);

            var rest = await RewrapAsync(both, maxRows: null);
            Assert.Equal(3, rest.Rewrapped);
            Assert.Equal(0, rest.Remaining);
            var again = await RewrapAsync(both, maxRows: null);
            Assert.Equal(0, again.Rewrapped);
        }

        await using (var after = await NodeApp.StartAsync(_db, Keys($"k2:{K2}", "k2")))
            await AssertAllDecrypt(after, account.AccountId, expected);
    }

    private static async Task<RewrapReport> RewrapAsync(SwitchboardApp app, int? maxRows)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await Rewrapper.RunAsync(scope.ServiceProvider.GetRequiredService<SwitchboardDb>(), app.Services.GetRequiredService<IStoreWriter>(),
            app.Services.GetRequiredService<SecretBox>(), batchSize: 1, maxRows: maxRows);
    }

    private static async Task AssertAllDecrypt(SwitchboardApp app, string accountId, Dictionary<(string, string), string> expected)
    {
        var box = app.Services.GetRequiredService<SecretBox>();
        var rows = await app.WithDbAsync(db => db.IntegrationSecrets.AsNoTracking()
            .Where(s => s.AccountId == accountId)
            .Join(db.Integrations, s => s.IntegrationId, i => i.Id, (s, i) => new { i.Provider, s.Name, s.IntegrationId, s.Ciphertext })
            .ToListAsync());
        Assert.Equal(expected.Count, rows.Count);
        foreach (var r in rows)
        {
            var value = box.DecryptString(r.Ciphertext, new SecretContext(accountId, "integration_secrets", r.IntegrationId.ToString(), r.Name));
            Assert.Equal(expected[(r.Provider, r.Name)], value);
        }
    }

    [Fact]
    public async Task Rotation_rewraps_oauth_tokens_but_never_a_connection_being_refreshed()
    {
        await using var app = await NodeApp.StartAsync(_db, Keys($"k1:{K1};k2:{K2}", "k2"));
        var account = await app.CreateAccountAsync();
        var installed = await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        var integrationId = Guid.Parse(installed["id"]!.GetValue<string>());
        var oldBox = new SecretBox(KeyRing.FromInline($"k1:{K1}", "k1"));

        OAuthConnection Connection(string user, string? lease)
        {
            var c = new OAuthConnection { Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId,
                IntegrationId = integrationId, UserId = user, Status = ConnectionStatus.Active, LeaseOwner = lease,
                CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Generation = 3 };
            c.AccessToken = oldBox.EncryptString("at-" + user, SealedFields.TokenAad(c.AccountId, c.Id, "access_token"));
            c.RefreshToken = oldBox.EncryptString("rt-" + user, SealedFields.TokenAad(c.AccountId, c.Id, "refresh_token"));
            return c;
        }
        var idle = Connection("alice", null);
        var busy = Connection("bob", "node-x");
        await app.WriteDbAsync(async db => { db.AddRange(idle, busy); return await db.SaveChangesAsync(); });

        var report = await RewrapAsync(app, maxRows: null);
        Assert.Equal(1, report.Rewrapped);
        Assert.Equal(1, report.Remaining);

        var box = app.Services.GetRequiredService<SecretBox>();
        var rows = await app.WithDbAsync(db => db.Set<OAuthConnection>().AsNoTracking().Where(c => c.AccountId == account.AccountId).ToListAsync());
        var alice = rows.Single(r => r.UserId == "alice");
        Assert.Equal("k2", SecretBox.KeyIdOf(alice.AccessToken!));
        Assert.Equal("k2", SecretBox.KeyIdOf(alice.RefreshToken!));
        Assert.Equal(3, alice.Generation);
        Assert.Equal("at-alice", box.DecryptString(alice.AccessToken!, SealedFields.TokenAad(alice.AccountId, alice.Id, "access_token")));
        Assert.Equal("rt-alice", box.DecryptString(alice.RefreshToken!, SealedFields.TokenAad(alice.AccountId, alice.Id, "refresh_token")));
        var bob = rows.Single(r => r.UserId == "bob");
        Assert.Equal("k1", SecretBox.KeyIdOf(bob.AccessToken!));
        Assert.Equal("at-bob", box.DecryptString(bob.AccessToken!, SealedFields.TokenAad(bob.AccountId, bob.Id, "access_token")));
    }

    [Fact]
    public async Task Rotation_rewraps_pkce_code_verifiers_too()
    {
        await using var app = await NodeApp.StartAsync(_db, Keys($"k1:{K1};k2:{K2}", "k2"));
        var account = await app.CreateAccountAsync();
        var installed = await (await account.Client().PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        var integrationId = Guid.Parse(installed["id"]!.GetValue<string>());
        var oldBox = new SecretBox(KeyRing.FromInline($"k1:{K1}", "k1"));
        var now = DateTime.UtcNow;
        var connection = new OAuthConnection { Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId,
            IntegrationId = integrationId, UserId = "carol", CreatedAt = now, UpdatedAt = now };
        var session = new OAuthSession { Id = Guid.CreateVersion7(), AccountId = account.AccountId, ProjectId = account.ProjectId,
            IntegrationId = integrationId, ConnectionId = connection.Id, StartTokenHash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            ExpiresAt = now.AddMinutes(10), StartedAt = now, CreatedAt = now };
        session.CodeVerifier = oldBox.EncryptString("verifier-of-carol", SealedFields.VerifierAad(session.AccountId, session.Id));
        await app.WriteDbAsync(async db => { db.AddRange(connection, session); return await db.SaveChangesAsync(); });

        var before = await RewrapAsync(app, maxRows: 0);
        Assert.Equal(1, before.Remaining);
        var report = await RewrapAsync(app, maxRows: null);
        Assert.Equal(1, report.Rewrapped);
        Assert.Equal(0, report.Remaining);

        var stored = await app.WithDbAsync(db => db.Set<OAuthSession>().AsNoTracking().SingleAsync(s => s.Id == session.Id));
        Assert.Equal("k2", SecretBox.KeyIdOf(stored.CodeVerifier!));
        var k2Only = new SecretBox(KeyRing.FromInline($"k2:{K2}", "k2"));
        Assert.Equal("verifier-of-carol", SealedFields.CodeVerifier.Open(k2Only, stored));
    }

    [Fact]
    public async Task A_ciphertext_copied_onto_another_record_does_not_decrypt()
    {
        await using var app = await NodeApp.StartAsync(_db, Keys($"k1:{K1}", "k1"));
        var a = await app.CreateAccountAsync();
        var b = await app.CreateAccountAsync();
        await (await a.Client().PostJson("/api/v1/integrations/openai/install", new { secrets = new { api_key = "sk-AAAAAAAAAAAAAAAAAAAAAAAA" } })).ShouldBe(HttpStatusCode.OK);
        await (await b.Client().PostJson("/api/v1/integrations/openai/install", new { secrets = new { api_key = "sk-BBBBBBBBBBBBBBBBBBBBBBBB" } })).ShouldBe(HttpStatusCode.OK);

        var stolen = await app.WithDbAsync(db => db.IntegrationSecrets.AsNoTracking().SingleAsync(s => s.AccountId == a.AccountId));
        await app.WriteDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == b.AccountId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Ciphertext, stolen.Ciphertext)));
        var victim = await app.WithDbAsync(db => db.IntegrationSecrets.AsNoTracking().SingleAsync(s => s.AccountId == b.AccountId));

        var box = app.Services.GetRequiredService<SecretBox>();
        Assert.ThrowsAny<CryptographicException>(() =>
            box.Decrypt(victim.Ciphertext, new SecretContext(b.AccountId, "integration_secrets", victim.IntegrationId.ToString(), victim.Name)));
        Assert.Equal("sk-AAAAAAAAAAAAAAAAAAAAAAAA",
            box.DecryptString(stolen.Ciphertext, new SecretContext(a.AccountId, "integration_secrets", stolen.IntegrationId.ToString(), stolen.Name)));
    }
}
