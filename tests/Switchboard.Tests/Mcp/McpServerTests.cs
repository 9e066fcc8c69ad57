using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Mcp;

/// <summary>
/// Switchboard's /mcp, driven by clients nobody here wrote: the official TypeScript SDK (npm) and the official C# SDK,
/// with the remote tools of a real server-everything (npm) registered as a connection.
/// </summary>
[Collection("mcp")]
public sealed class McpServerTests(EverythingServer everything, McpApp app) : IClassFixture<McpApp>
{
    private async Task<(TestAccount Account, string ConnectionId)> AccountWithEverythingAsync(string name = "acme")
    {
        var account = await app.CreateAccountAsync(name);
        var id = (await account.Client().CreateConnectionAsync("everything", everything.Url))["id"].S();
        Assert.Equal("connected", (await account.Client().RefreshAsync(id))["status"].S());
        return (account, id);
    }

    [Fact]
    public async Task The_TypeScript_SDK_lists_and_calls_remote_tools_with_a_bearer_key_or_X_API_Key()
    {
        var (account, _) = await AccountWithEverythingAsync();
        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", account.ApiKey,
            McpNode.List(), McpNode.Call("everything__echo", new { message = "hello from ts" }));
        Assert.True(run["connected"]!.GetValue<bool>(), run.ToJsonString());
        var names = run["steps"]![0]!["tools"]!.AsArray().Select(t => t!["name"].S()).ToList();
        Assert.Contains("everything__echo", names);
        Assert.All(names, n => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", n));
        var echo = run["steps"]![0]!["tools"]!.AsArray().Single(t => t!["name"].S() == "everything__echo")!;
        Assert.Equal("object", echo["inputSchema"]!["type"].S());
        var result = run["steps"]![1]!["result"]!;
        Assert.NotEqual(true, result["isError"]?.GetValue<bool>());
        Assert.Contains("hello from ts", result["content"]![0]!["text"].S());

        var viaHeader = await McpNode.RunClientAsync(app.McpUrl, "X-API-Key", account.ApiKey, McpNode.List());
        Assert.Contains("everything__echo", viaHeader["steps"]![0]!["tools"]!.AsArray().Select(t => t!["name"].S()));

        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.AccountId == account.AccountId && e.Action == "mcp.tool.called").ToListAsync());
        var row = Assert.Single(audit);
        Assert.Equal(account.ApiKeyId, row.ActorId);
        Assert.Contains("\"outcome\":\"ok\"", row.DataJson);
        Assert.Contains("\"connection\":\"everything\"", row.DataJson);
        Assert.Contains("duration_ms", row.DataJson);
        Assert.DoesNotContain("hello from ts", row.DataJson);
    }

    [Fact]
    public async Task Unknown_and_other_accounts_tools_are_InvalidParams_unknown_tool()
    {
        var (_, _) = await AccountWithEverythingAsync("owner");
        var stranger = await app.CreateAccountAsync("stranger");
        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", stranger.ApiKey,
            McpNode.List(), McpNode.Call("everything__echo", new { message = "x" }), McpNode.Call("nothing__here"), McpNode.Call("plainname"));
        Assert.Empty(run["steps"]![0]!["tools"]!.AsArray());
        foreach (var step in run["steps"]!.AsArray().Skip(1))
        {
            Assert.Equal(-32602, step!["error"]!["code"]!.GetValue<int>());
            Assert.Contains("unknown tool", step["error"]!["message"].S());
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == stranger.AccountId && e.Action == "mcp.tool.called")));
    }

    [Fact]
    public async Task The_CSharp_SDK_lists_and_calls_and_a_disabled_connection_is_gone_from_the_next_list()
    {
        var (account, id) = await AccountWithEverythingAsync();
        await using var client = await ConnectAsync(account.ApiKey);
        var tools = await client.ListToolsAsync();
        Assert.Contains(tools, t => t.Name == "everything__echo");
        var sum = tools.SingleOrDefault(t => t.Name == "everything__get-sum");
        var result = await client.CallToolAsync("everything__echo", new Dictionary<string, object?> { ["message"] = "hello from c#" });
        Assert.NotEqual(true, result.IsError);
        Assert.Contains("hello from c#", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
        if (sum is not null)
        {
            var added = await client.CallToolAsync("everything__get-sum", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 });
            Assert.Contains("5", Assert.IsType<TextContentBlock>(added.Content[0]).Text);
        }

        await (await account.Client().PatchAsync($"/api/v1/mcp-connections/{id}", Api.Json(new { enabled = false }))).ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(await client.ListToolsAsync(), t => t.Name.StartsWith("everything__", StringComparison.Ordinal));
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() =>
            client.CallToolAsync("everything__echo", new Dictionary<string, object?> { ["message"] = "x" }).AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, refused.ErrorCode);
    }

    [Fact]
    public async Task A_remote_that_went_away_is_an_isError_result_without_secrets()
    {
        await using var own = new EverythingServer();
        await own.InitializeAsync();
        var account = await app.CreateAccountAsync();
        var id = (await account.Client().CreateConnectionAsync("gone", own.Url, new Dictionary<string, string> { ["Authorization"] = "Bearer gone-header-secret-77" }))["id"].S();
        await account.Client().RefreshAsync(id);
        await own.StopAsync();

        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", account.ApiKey, McpNode.Call("gone__echo", new { message = "x" }));
        var result = run["steps"]![0]!["result"]!;
        Assert.True(result["isError"]!.GetValue<bool>(), run.ToJsonString());
        Assert.DoesNotContain("gone-header-secret-77", run.ToJsonString());
        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.AccountId == account.AccountId && e.Action == "mcp.tool.called"));
        Assert.Contains("\"outcome\":\"unreachable\"", audit.DataJson);
    }

    [Fact]
    public async Task Without_a_key_401_points_to_RFC_9728_metadata_and_a_key_without_tools_invoke_is_403()
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        var response = await http.PostAsync("/mcp", Api.Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""));
        await response.ShouldBe(HttpStatusCode.Unauthorized, "missing_credentials");
        var challenge = response.Headers.WwwAuthenticate.ToString();
        var metadataUrl = $"{app.BaseUrl}/.well-known/oauth-protected-resource/mcp";
        Assert.Contains($"resource_metadata=\"{metadataUrl}\"", challenge);
        Assert.StartsWith("Bearer", challenge);

        var metadata = JsonNode.Parse(await http.GetStringAsync(metadataUrl))!;
        Assert.Equal(app.McpUrl, metadata["resource"].S());
        Assert.Contains("header", metadata["bearer_methods_supported"]!.AsArray().Select(x => x.S()));
        Assert.Contains("tools:invoke", metadata["scopes_supported"]!.AsArray().Select(x => x.S()));
        Assert.Equal(app.McpUrl, JsonNode.Parse(await http.GetStringAsync("/.well-known/oauth-protected-resource"))!["resource"].S());

        var run = await McpNode.RunClientAsync(app.McpUrl, null, null, McpNode.List());
        Assert.False(run["connected"]!.GetValue<bool>());
        var bad = await McpNode.RunClientAsync(app.McpUrl, "Authorization", "sk_live_nope", McpNode.List());
        Assert.False(bad["connected"]!.GetValue<bool>());

        var account = await app.CreateAccountAsync();
        var (readOnly, _) = await account.Client().CreateKeyAsync(null, "read");
        var reader = app.ClientWithKey(readOnly);
        var forbidden = await reader.PostAsync("/mcp", Api.Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""));
        await forbidden.ShouldBe(HttpStatusCode.Forbidden, "insufficient_scope");
        var (invoker, _) = await account.Client().CreateKeyAsync(null, "tools:invoke");
        Assert.True((await McpNode.RunClientAsync(app.McpUrl, "Authorization", invoker, McpNode.List()))["connected"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_key_restricted_to_another_project_sees_that_projects_tools_only()
    {
        var (account, _) = await AccountWithEverythingAsync();
        var p2 = await account.Client().CreateProjectAsync("p2");
        var (restricted, _) = await account.Client().CreateKeyAsync(p2, "tools:invoke", "integrations:write", "read");
        var p2Client = app.ClientWithKey(restricted);
        var p2Conn = (await p2Client.CreateConnectionAsync("p2_everything", everything.Url))["id"].S();
        await p2Client.RefreshAsync(p2Conn);

        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", restricted, McpNode.List(), McpNode.Call("everything__echo", new { message = "x" }));
        var names = run["steps"]![0]!["tools"]!.AsArray().Select(t => t!["name"].S()).ToList();
        Assert.Contains("p2_everything__echo", names);
        Assert.DoesNotContain(names, n => n.StartsWith("everything__", StringComparison.Ordinal));
        Assert.Equal(-32602, run["steps"]![1]!["error"]!["code"]!.GetValue<int>());

        var defaultRun = await McpNode.RunClientAsync(app.McpUrl, "Authorization", account.ApiKey, McpNode.List());
        Assert.DoesNotContain(defaultRun["steps"]![0]!["tools"]!.AsArray().Select(t => t!["name"].S()), n => n.StartsWith("p2_", StringComparison.Ordinal));
    }

    private Task<McpClient> ConnectAsync(string key) => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(app.McpUrl),
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key },
    }));
}
