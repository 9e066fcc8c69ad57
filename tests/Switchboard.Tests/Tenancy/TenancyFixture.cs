using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Tenancy;

/// <summary>
/// An account whose default project holds one of everything (installs with secrets, a custom OAuth provider installed,
/// an end user with a pending connection, an install link, a key restricted to it, audit events), and a second project
/// P2 with a key restricted to it that has every scope. Built through the public API.
/// </summary>
public sealed class TenancyApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        // Nothing in the background may write while a test compares the database before and after.
        ["Switchboard:OAuth:WorkerEnabled"] = "false",
        // The fixture's webhook endpoint gets deliveries of its setup's events; their attempts (and retries) would
        // land in whichever test's window they fall into.
        ["Switchboard:Webhooks:Enabled"] = "false",
        ["Switchboard:RateLimit:Enabled"] = "false",
    };
}

public sealed record DefaultProjectResources(
    TestAccount Account,
    string StripeIntegrationId,
    string CustomIntegrationId,
    string GithubIntegrationId,
    string DefaultKeyId,
    string OtherProjectId,
    string RestrictedKey,
    string RestrictedKeyId,
    string McpConnectionId,
    string WebhookEndpointId)
{
    public const string CustomProvider = "internal_api";
    public const string EndUser = "alice";

    public HttpClient Restricted() => Account.App.ClientWithKey(RestrictedKey);

    /// <summary>
    /// Strings that identify the default project's resources: none may reach the restricted key. (The account key's id
    /// may: it created P2 and its key, so it is the actor of events in P2's audit log.)
    /// </summary>
    public IEnumerable<string> Canaries =>
        [Account.ProjectId, StripeIntegrationId, CustomIntegrationId, GithubIntegrationId, DefaultKeyId, RogerIq.StripeKey, McpConnectionId, McpHeaderValue, WebhookEndpointId];

    public const string McpHeaderValue = "Bearer mcp-canary-header-0042";

    public static JsonObject CustomDefinition(string name, string tokenUrl = "https://idp.internal.example.com/token") => new()
    {
        ["name"] = name,
        ["display_name"] = "Internal API",
        ["description"] = "The account's own OAuth API.",
        ["category"] = "developer_tools",
        ["auth_type"] = "OAUTH2",
        ["api_base_url"] = "https://api.internal.example.com",
        ["docs_url"] = "https://internal.example.com/docs",
        ["logo_url"] = "https://internal.example.com/logo.png",
        ["params"] = new JsonArray(new JsonObject { ["name"] = "client_id", ["type"] = "string", ["required"] = true, ["description"] = "Client id." }),
        ["secrets"] = new JsonArray(new JsonObject { ["name"] = "client_secret", ["type"] = "string", ["required"] = true, ["description"] = "Client secret." }),
        ["oauth"] = new JsonObject
        {
            ["authorize_url"] = "https://idp.internal.example.com/authorize",
            ["token_url"] = tokenUrl,
            ["default_scopes"] = new JsonArray("read"),
            ["pkce"] = true,
        },
    };

    public static async Task<DefaultProjectResources> CreateAsync(SwitchboardApp app)
    {
        var account = await app.CreateAccountAsync("tenancy");
        var admin = account.Client();
        var stripe = await (await admin.PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = RogerIq.StripeKey } }))
            .ShouldBe(HttpStatusCode.OK);
        await (await admin.PostJson("/api/v1/providers", CustomDefinition(CustomProvider))).ShouldBe(HttpStatusCode.Created);
        var custom = await (await admin.PostJson($"/api/v1/integrations/{CustomProvider}/install",
            new { @params = new { client_id = "internal-client" }, secrets = new { client_secret = "internal-client-secret-0042" } })).ShouldBe(HttpStatusCode.OK);
        var github = await (await admin.PostJson("/api/v1/integrations/github/install",
            new { @params = new { client_id = "Iv1.tenancy" }, secrets = new { client_secret = "github-client-secret-0042" } })).ShouldBe(HttpStatusCode.OK);
        var githubId = github["id"].S();
        await (await admin.PostJson($"/api/v1/integrations/{githubId}/users/{EndUser}/auth-url", new { redirectUri = "https://app.example.com/done" }))
            .ShouldBe(HttpStatusCode.Created);
        await (await admin.PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null)).ShouldBe(HttpStatusCode.OK);
        await (await admin.PostJson("/api/v1/integrations/hacker_news/install", new { })).ShouldBe(HttpStatusCode.OK);
        await admin.PatchLifecycleAsync(account.ProjectId, "hacker_news", new { status = "paused" });
        var (_, defaultKeyId) = await admin.CreateKeyAsync(account.ProjectId, "read", "integrations:write");
        var mcp = await (await admin.PostJson("/api/v1/mcp-connections",
            new { name = "remote_tools", url = "https://mcp.example.net/mcp", headers = new Dictionary<string, string> { ["Authorization"] = McpHeaderValue } }))
            .ShouldBe(HttpStatusCode.Created);
        var webhook = await (await admin.PostJson("/api/v1/webhook-endpoints", new { url = "https://hooks.example.com/switchboard" })).ShouldBe(HttpStatusCode.Created);

        var other = await admin.CreateProjectAsync("p2");
        var (restricted, restrictedId) = await admin.CreateKeyAsync(other, "admin");
        return new DefaultProjectResources(account, stripe["id"].S(), custom["id"].S(), githubId, defaultKeyId, other, restricted, restrictedId, mcp["id"].S(),
            webhook["webhook_endpoint"]!["id"].S());
    }
}

/// <summary>Every row of every table of the model, as text, for before/after comparisons.</summary>
public static class DatabaseSnapshot
{
    /// <summary>Columns that change on their own: when a key was last used is recorded in the background.</summary>
    private static readonly HashSet<(string Table, string Column)> Volatile = [("api_keys", "LastUsedAt")];

    public static async Task<SortedDictionary<string, List<string>>> TakeAsync(SwitchboardApp app) => await app.WithDbAsync(async db =>
    {
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct().OrderBy(t => t).ToList();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var result = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            foreach (var table in tables)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync();
                var rows = new List<string>();
                while (await reader.ReadAsync()) rows.Add(Row(reader, table));
                rows.Sort(StringComparer.Ordinal);
                result[table] = rows;
            }
        }
        finally { await db.Database.CloseConnectionAsync(); }
        return result;
    });

    private static string Row(DbDataReader reader, string table)
    {
        var cells = new List<string>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var name = reader.GetName(i);
            if (Volatile.Contains((table, name))) continue;
            var value = reader.IsDBNull(i) ? "NULL" : reader.GetValue(i) switch
            {
                byte[] b => Convert.ToHexString(b),
                DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
                DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString() ?? "",
            };
            cells.Add($"{name}={value}");
        }
        cells.Sort(StringComparer.Ordinal);
        return string.Join(" | ", cells);
    }

    public static void AssertUnchanged(SortedDictionary<string, List<string>> before, SortedDictionary<string, List<string>> after)
    {
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (table, rows) in before)
        {
            var added = after[table].Except(rows).ToList();
            var removed = rows.Except(after[table]).ToList();
            Assert.True(added.Count == 0 && removed.Count == 0,
                $"table {table} changed:\n  added: {string.Join("\n         ", added)}\n  removed: {string.Join("\n           ", removed)}");
        }
    }
}
