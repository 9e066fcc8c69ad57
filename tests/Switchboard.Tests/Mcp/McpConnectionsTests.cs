using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Mcp;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Mcp;

/// <summary>/api/v1/mcp-connections against the real server-everything (npm) on loopback.</summary>
[Collection("mcp")]
public sealed class McpConnectionsTests(EverythingServer everything, McpApp app) : IClassFixture<McpApp>
{
    private readonly McpApp _app = app;
    private const string HeaderSecret = "Bearer mcp-header-secret-0123456789";

    [Fact]
    public async Task Create_list_get_patch_delete_keep_the_seed_envelope_and_never_return_a_header_value()
    {
        var account = await _app.CreateAccountAsync();
        var client = account.Client();
        var created = await client.CreateConnectionAsync("everything", everything.Url, new Dictionary<string, string> { ["Authorization"] = HeaderSecret });
        Assert.Equal("pending", created["status"].S());
        Assert.Equal(0, created["tools_count"]!.GetValue<int>());
        Assert.Equal("Authorization", created["headers"]![0]!["name"].S());
        Assert.StartsWith("fp_", created["headers"]![0]!["fingerprint"].S());
        var id = created["id"].S();

        var listText = await client.GetStringAsync("/api/v1/mcp-connections");
        var list = System.Text.Json.Nodes.JsonNode.Parse(listText)!;
        Assert.Equal(id, list["mcp_connections"]![0]!["id"].S());
        Assert.True(list.AsObject().ContainsKey("next_cursor"));
        var one = await (await client.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("everything", one["name"].S());

        var patched = await (await client.PatchAsync($"/api/v1/mcp-connections/{id}", Api.Json(new { name = "everything_two", enabled = false }))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("everything_two", patched["name"].S());
        Assert.False(patched["enabled"]!.GetValue<bool>());

        foreach (var text in new[] { listText, created.ToJsonString(), one.ToJsonString(), patched.ToJsonString() })
            Assert.DoesNotContain("mcp-header-secret", text);
        // Sealed at rest: the value is nowhere in the row.
        var row = await _app.WithDbAsync(db => db.Set<McpConnection>().AsNoTracking().SingleAsync(c => c.AccountId == account.AccountId));
        Assert.NotNull(row.HeadersCiphertext);
        Assert.DoesNotContain("mcp-header-secret", Encoding.UTF8.GetString(row.HeadersCiphertext!) + row.HeaderFingerprintsJson + row.ToolsJson);

        await (await client.DeleteAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.NotFound, "mcp_connection_not_found");
        var audit = await _app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.AccountId == account.AccountId && e.Action.StartsWith("mcp.connection.")).Select(e => e.Action + e.DataJson).ToListAsync());
        Assert.Contains(audit, a => a.StartsWith("mcp.connection.created"));
        Assert.Contains(audit, a => a.StartsWith("mcp.connection.updated"));
        Assert.Contains(audit, a => a.StartsWith("mcp.connection.deleted"));
        Assert.DoesNotContain(audit, a => a.Contains("mcp-header-secret"));
        Assert.DoesNotContain("mcp-header-secret", _app.Logs.All);
    }

    [Fact]
    public async Task Bad_bodies_are_validation_failed_and_names_of_providers_or_other_connections_are_taken()
    {
        var account = await _app.CreateAccountAsync();
        var client = account.Client();
        async Task Refused(object body, string field)
        {
            var problem = await (await client.PostJson("/api/v1/mcp-connections", body)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
            Assert.Contains(field, problem.ToJsonString());
            Assert.DoesNotContain("header-secret-value", problem.ToJsonString());
        }
        await Refused(new { name = "Bad-Name", url = everything.Url }, "name");
        await Refused(new { name = "two__parts", url = everything.Url }, "name");
        await Refused(new { name = "ok", url = "ftp://example.com/mcp" }, "url");
        await Refused(new { name = "ok", url = "https://10.1.2.3/mcp" }, "url");
        await Refused(new { name = "ok", url = everything.Url, transport = "sse" }, "transport");
        await Refused(new { name = "ok", url = everything.Url, headers = new Dictionary<string, string> { ["Bad Header"] = "header-secret-value" } }, "headers.");
        await Refused(new { name = "ok", url = everything.Url, headers = new Dictionary<string, string> { ["X-Token"] = "header-secret-value\r\nX-Evil: 1" } }, "headers.X-Token");

        await (await client.PostJson("/api/v1/mcp-connections", new { name = "stripe", url = everything.Url })).ShouldBe(HttpStatusCode.Conflict, "name_taken");
        await client.CreateConnectionAsync("mine", everything.Url);
        await (await client.PostJson("/api/v1/mcp-connections", new { name = "mine", url = everything.Url })).ShouldBe(HttpStatusCode.Conflict, "name_taken");
        Assert.Equal(1, await _app.WithDbAsync(db => db.Set<McpConnection>().CountAsync(c => c.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Refresh_lists_the_remote_servers_tools_and_stores_them()
    {
        var account = await _app.CreateAccountAsync();
        var client = account.Client();
        var id = (await client.CreateConnectionAsync("everything", everything.Url))["id"].S();
        var refreshed = await client.RefreshAsync(id);
        Assert.Equal("connected", refreshed["status"].S());
        Assert.True(refreshed["tools_count"]!.GetValue<int>() >= 3);
        Assert.NotNull(refreshed["last_checked_at"]);

        var tools = await (await client.GetAsync($"/api/v1/mcp-connections/{id}/tools")).ShouldBe(HttpStatusCode.OK);
        var echo = tools["tools"]!.AsArray().Single(t => t!["name"].S() == "echo")!;
        Assert.Equal("everything__echo", echo["mcp_name"].S());
        Assert.Equal("object", echo["input_schema"]!["type"].S());
    }

    [Fact]
    public async Task A_stopped_server_turns_the_connection_error_on_its_next_periodic_check_claimed_once()
    {
        await using var own = new EverythingServer();
        await own.InitializeAsync();
        // A database of its own: no other test's connection is due in it.
        var node = new McpApp();
        await ((IAsyncLifetime)node).InitializeAsync();
        try
        {
            await StoppedServerAsync(node, own);
        }
        finally
        {
            await ((IAsyncLifetime)node).DisposeAsync();
        }
    }

    private static async Task StoppedServerAsync(McpApp _app, EverythingServer own)
    {
        var account = await _app.CreateAccountAsync();
        var client = account.Client();
        var id = (await client.CreateConnectionAsync("short_lived", own.Url, new Dictionary<string, string> { ["X-Token"] = "tok-header-secret-42" }))["id"].S();
        var monitor = _app.Services.GetRequiredService<McpConnectionMonitor>();
        Assert.True(await monitor.RunDueChecksAsync(DateTime.UtcNow, CancellationToken.None) >= 1);
        var connected = await (await client.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("connected", connected["status"].S());

        await own.StopAsync();
        // Not due yet: nothing runs; once due, exactly one check of it runs even when two "nodes" poll together.
        Assert.Equal(0, await monitor.RunDueChecksAsync(DateTime.UtcNow, CancellationToken.None));
        var later = DateTime.UtcNow.AddHours(1);
        var ran = await Task.WhenAll(monitor.RunDueChecksAsync(later, CancellationToken.None), monitor.RunDueChecksAsync(later, CancellationToken.None));
        Assert.Equal(1, ran.Sum());
        // A node that scans only after that check has ended does not find it due again: the claim set the next due time.
        Assert.Equal(0, await monitor.RunDueChecksAsync(later, CancellationToken.None));
        var failed = await (await client.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", failed["status"].S());
        Assert.False(string.IsNullOrEmpty(failed["error_message"].S()));
        Assert.DoesNotContain("tok-header-secret-42", failed.ToJsonString());
        Assert.True(failed["tools_count"]!.GetValue<int>() > 0); // the tools last listed are kept
    }

    [Fact]
    public async Task Another_accounts_connection_is_a_404_everywhere()
    {
        var a = await _app.CreateAccountAsync("a");
        var b = await _app.CreateAccountAsync("b");
        var id = (await a.Client().CreateConnectionAsync("everything", everything.Url))["id"].S();
        var other = b.Client();
        await (await other.GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.NotFound);
        await (await other.GetAsync($"/api/v1/mcp-connections/{id}/tools")).ShouldBe(HttpStatusCode.NotFound);
        await (await other.PostAsync($"/api/v1/mcp-connections/{id}/refresh", null)).ShouldBe(HttpStatusCode.NotFound);
        await (await other.PatchAsync($"/api/v1/mcp-connections/{id}", Api.Json(new { enabled = false }))).ShouldBe(HttpStatusCode.NotFound);
        await (await other.DeleteAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.NotFound);
        var list = await (await other.GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(list["mcp_connections"]!.AsArray());
        // And a key restricted to another project of A's account sees none of the default project's.
        var p2 = await a.Client().CreateProjectAsync("p2");
        var (restricted, _) = await a.Client().CreateKeyAsync(p2, "admin");
        var p2List = await (await _app.ClientWithKey(restricted).GetAsync("/api/v1/mcp-connections")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty(p2List["mcp_connections"]!.AsArray());
        await (await _app.ClientWithKey(restricted).GetAsync($"/api/v1/mcp-connections/{id}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Header_values_are_rewrapped_by_key_rotation()
    {
        var account = await _app.CreateAccountAsync();
        await account.Client().CreateConnectionAsync("rotated", everything.Url, new Dictionary<string, string> { ["Authorization"] = HeaderSecret });
        // Re-seal the row under k1 (the old key), as it would be had it been written before k2 became active.
        var k1Box = new SecretBox(KeyRing.Create(new Dictionary<string, byte[]> { ["k1"] = Convert.FromBase64String(SwitchboardApp.KeyK1) }, "k1"));
        await _app.WriteDbAsync(async db =>
        {
            var row = await db.Set<McpConnection>().SingleAsync(c => c.AccountId == account.AccountId);
            row.HeadersCiphertext = SealedFields.McpHeaders.Seal(k1Box, row, "{\"Authorization\":\"" + HeaderSecret + "\"}");
            return await db.SaveChangesAsync();
        });
        await using var scope = _app.Services.CreateAsyncScope();
        var report = await Rewrapper.RunAsync(scope.ServiceProvider.GetRequiredService<SwitchboardDb>(), scope.ServiceProvider.GetRequiredService<IStoreWriter>(),
            _app.Services.GetRequiredService<SecretBox>());
        Assert.Equal(0, report.Remaining);
        var row = await _app.WithDbAsync(db => db.Set<McpConnection>().AsNoTracking().SingleAsync(c => c.AccountId == account.AccountId));
        Assert.Equal("k2", SecretBox.KeyIdOf(row.HeadersCiphertext));
        Assert.Equal(HeaderSecret, _app.Services.GetRequiredService<McpConnections>().OpenHeaders(row)["Authorization"]);
    }
}
