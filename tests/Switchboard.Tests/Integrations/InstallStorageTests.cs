using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>The install writes its rows with plain SQL (IntegrationInstaller): they must be stored exactly as EF stores (and finds) them.</summary>
public sealed partial class InstallStorageTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static object Body(string key) => new
    {
        @params = new { api_version = "2024-09-30" },
        secrets = new { api_key = key, webhook_secret = "whsec_abcdefghijklmnop1234" },
    };

    [Fact]
    public async Task Installed_rows_are_found_by_ef_through_their_ids_and_timestamps()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostJson("/api/v1/integrations/stripe/install", Body("sk_test_storage000000000001")))
            .ShouldBe(HttpStatusCode.OK);
        var id = Guid.Parse(body["id"]!.GetValue<string>());

        await app.WithDbAsync(async db =>
        {
            var row = await db.Integrations.AsNoTracking().SingleAsync(i => i.AccountId == account.AccountId);
            Assert.Equal(id, row.Id);
            Assert.Equal(DateTimeKind.Utc, row.UpdatedAt.Kind);
            Assert.True(DateTime.UtcNow - row.UpdatedAt < TimeSpan.FromMinutes(5));
            // EF binds its own parameters for these predicates: a Guid or DateTime stored in another text form is not found.
            Assert.Equal(1, await db.Integrations.CountAsync(i => i.AccountId == account.AccountId && i.Id == row.Id
                && i.UpdatedAt == row.UpdatedAt && i.CreatedAt == row.CreatedAt && i.InstalledAt == row.InstalledAt));
            var secrets = await db.IntegrationSecrets.AsNoTracking().Where(s => s.AccountId == account.AccountId && s.IntegrationId == id).ToListAsync();
            Assert.Equal(["api_key", "webhook_secret"], secrets.Select(s => s.Name).Order());
            foreach (var s in secrets)
                Assert.Equal(1, await db.IntegrationSecrets.CountAsync(x => x.AccountId == account.AccountId && x.Id == s.Id && x.UpdatedAt == s.UpdatedAt));
            var audit = await db.AuditEvents.AsNoTracking().SingleAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed");
            Assert.Equal(id.ToString(), audit.TargetId);
            Assert.Equal(account.ApiKeyId, audit.ActorId);
            Assert.Equal(1, await db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Id == audit.Id && e.CreatedAt == audit.CreatedAt));
            return true;
        });

        if (!TestDatabase.IsPostgres)
        {
            // SQLite keeps them as text: EF's forms are an uppercase Guid and 'yyyy-MM-dd HH:mm:ss.FFFFFFF'.
            var stored = await app.WithDbAsync(db => db.Database.SqlQueryRaw<string>(
                """SELECT "Id" || '|' || "UpdatedAt" || '|' || "InstalledAt" || '|' || typeof("Id") AS "Value" FROM integrations WHERE "AccountId" = {0}""",
                account.AccountId).SingleAsync());
            Assert.Matches(SqliteForm(), stored);
            var secretIds = await app.WithDbAsync(db => db.Database.SqlQueryRaw<string>(
                """SELECT "IntegrationId" || '|' || "CreatedAt" || '|' || "UpdatedAt" || '|' || typeof("Id") AS "Value" FROM integration_secrets WHERE "AccountId" = {0}""",
                account.AccountId).ToListAsync());
            Assert.All(secretIds, s => Assert.Matches(SqliteSecretForm(), s));
        }
    }

    [Fact]
    public async Task Concurrent_installs_of_one_integration_all_succeed_and_each_bumps_the_version_once()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        // The first install races too: on PostgreSQL the loser of the insert retries, on SQLite the writes queue.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.PostJson("/api/v1/integrations/stripe/install", Body($"sk_test_versions{i:0000000000}"))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var version = await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId).Select(i => i.Version).SingleAsync());
        Assert.Equal(20, version);
        Assert.Equal(20, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
        // The install committed last (latest updated_at) is what is stored: its fingerprint, nobody else's.
        var stored = await app.WithDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == account.AccountId && s.Name == "api_key")
            .Select(s => s.Fingerprint).SingleAsync());
        var last = (await Task.WhenAll(responses.Select(r => r.ShouldBe(HttpStatusCode.OK))))
            .MaxBy(b => b["updated_at"]!.GetValue<DateTime>())!;
        Assert.Equal(stored, last["secrets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "api_key")!["fingerprint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_reinstalls_of_an_installed_integration_each_bump_the_version_once_and_are_each_audited()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostJson("/api/v1/integrations/stripe/install", Body("sk_test_reinstall00000000"))).ShouldBe(HttpStatusCode.OK);

        // Every re-install finds the row, so all race on its update (on PostgreSQL first unlocked, in one command each):
        // one based on a stale read must write nothing (no audit row, no secret) and try again.
        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            client.PostJson("/api/v1/integrations/stripe/install", Body($"sk_test_reinstall{i:00000000}"))));
        var bodies = await Task.WhenAll(responses.Select(r => r.ShouldBe(HttpStatusCode.OK)));

        Assert.Equal(33, await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId).Select(i => i.Version).SingleAsync()));
        Assert.Equal(33, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
        var stored = await app.WithDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == account.AccountId && s.Name == "api_key")
            .Select(s => s.Fingerprint).SingleAsync());
        var last = bodies.MaxBy(b => b["updated_at"]!.GetValue<DateTime>())!;
        Assert.Equal(stored, last["secrets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "api_key")!["fingerprint"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reinstall_after_another_node_changed_the_row_keeps_what_that_node_stored_not_this_nodes_copy()
    {
        await using var other = await NodeApp.StartAsync(app.Database);
        var account = await app.CreateAccountAsync();
        var here = account.Client();
        // Two installs here: on PostgreSQL this node now keeps a copy of the row and installs from it without a read.
        await (await here.PostJson("/api/v1/integrations/stripe/install", Body("sk_test_copy00000000000001"))).ShouldBe(HttpStatusCode.OK);
        await (await here.PostJson("/api/v1/integrations/stripe/install", Body("sk_test_copy00000000000002"))).ShouldBe(HttpStatusCode.OK);
        await (await other.ClientWithKey(account.ApiKey).PostJson("/api/v1/integrations/stripe/install", new
        {
            @params = new { api_version = "2025-01-27" },
            secrets = new { api_key = "sk_test_other0000000000001", webhook_secret = "whsec_other000000000000001" },
        })).ShouldBe(HttpStatusCode.OK);

        // Secrets only: the params are kept as stored, which is the other node's, not this node's copy.
        var body = await (await here.PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = "sk_test_copy00000000000003" } }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal("2025-01-27", body["params"]!["api_version"]!.GetValue<string>());
        var stored = await app.WithDbAsync(db => db.Integrations.AsNoTracking().Where(i => i.AccountId == account.AccountId)
            .Select(i => new { i.ParamsJson, i.Version }).SingleAsync());
        Assert.Contains("2025-01-27", stored.ParamsJson);
        Assert.Equal(4, stored.Version);
        Assert.Equal(4, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
    }

    [Fact]
    public async Task Concurrent_installs_that_add_and_drop_a_secret_leave_exactly_the_last_ones_secrets()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.PostJson("/api/v1/integrations/stripe/install", Body("sk_test_first0000000000001"))).ShouldBe(HttpStatusCode.OK);

        // Half the installs send api_key alone (dropping webhook_secret), half send both (adding it back). Each must see
        // the secrets the one before it committed, or it keeps or misses a secret (or trips over a vanished row).
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => client.PostJson("/api/v1/integrations/stripe/install",
            i % 2 == 0
                ? new { secrets = new { api_key = $"sk_test_alone{i:0000000000000}" } }
                : Body($"sk_test_both{i:00000000000000}"))));
        var bodies = await Task.WhenAll(responses.Select(r => r.ShouldBe(HttpStatusCode.OK)));

        var last = bodies.MaxBy(b => b["updated_at"]!.GetValue<DateTime>())!;
        var expected = last["secrets"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).Order().ToList();
        var stored = await app.WithDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == account.AccountId)
            .Select(s => s.Name).OrderBy(n => n).ToListAsync());
        Assert.Equal(expected, stored);
    }

    [GeneratedRegex(@"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,7})?\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,7})?\|text$")]
    private static partial Regex SqliteForm();

    [GeneratedRegex(@"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,7})?\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,7})?\|text$")]
    private static partial Regex SqliteSecretForm();
}
