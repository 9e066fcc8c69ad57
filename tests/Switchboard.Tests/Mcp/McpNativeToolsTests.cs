using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Invocation;
using Switchboard.Tests.Lifecycle;

namespace Switchboard.Tests.Mcp;

/// <summary>
/// Native tools through /mcp with the official TypeScript SDK client: a Stripe install pointed at a loopback stand-in
/// (which verifies the injected key and fails on the caller's API key), permissions and pausing applied per request.
/// </summary>
[Collection("mcp")]
public sealed class McpNativeToolsTests(McpApp app) : IClassFixture<McpApp>
{
    [Fact]
    public async Task The_TypeScript_SDK_calls_a_native_read_tool_and_a_denied_write_is_refused()
    {
        await using var provider = await ProviderStandIn.StartAsync();
        var account = await app.CreateAccountAsync();
        provider.Forbidden.Add(account.ApiKey);
        provider.Handler = (ctx, received) => received.Header("Authorization") == "Bearer " + Installs.StripeKey
            ? ProviderStandIn.Json(ctx, 200, """{"object":"list","data":[{"id":"cus_standin_1"}],"has_more":false}""")
            : ProviderStandIn.Json(ctx, 401, """{"error":"bad key"}""");
        await Installs.StripeAsync(account, provider);

        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", account.ApiKey,
            McpNode.List(), McpNode.Call("stripe__list_customers", new { limit = 3 }), McpNode.Call("stripe__create_refund", new { charge = "ch_1" }),
            McpNode.Call("stripe__get_customer", new { }));
        var names = run["steps"]![0]!["tools"]!.AsArray().Select(t => t!["name"].S()).ToList();
        Assert.Contains("stripe__list_customers", names);
        Assert.DoesNotContain("stripe__create_refund", names); // a write tool is denied unless action_permissions grants it
        var read = run["steps"]![1]!["result"]!;
        Assert.NotEqual(true, read["isError"]?.GetValue<bool>());
        Assert.Contains("cus_standin_1", read["content"]![0]!["text"].S());
        Assert.Equal(-32602, run["steps"]![2]!["error"]!["code"]!.GetValue<int>());
        Assert.Contains("unknown tool", run["steps"]![2]!["error"]!["message"].S());
        var invalid = run["steps"]![3]!["result"]!;
        Assert.True(invalid["isError"]!.GetValue<bool>());
        Assert.Contains("/customer_id", invalid["content"]![0]!["text"].S());
        Assert.Empty(provider.Violations);
        Assert.Single(provider.Requests);

        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.AccountId == account.AccountId && e.Action == "mcp.tool.called").Select(e => e.DataJson).ToListAsync());
        Assert.Equal(2, audit.Count); // the read (by the invoker) and the invalid input (refused before sending)
        Assert.DoesNotContain(audit, a => a.Contains(Installs.StripeKey));

        // Granted, a write reaches the provider; the provider refusing it comes back as an isError result.
        await Installs.PatchAsync(account, "stripe", new { action_permissions = new { issue_refunds = true } });
        provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 402, """{"error":{"message":"charge already refunded"}}""");
        var write = await McpNode.RunClientAsync(app.McpUrl, "X-API-Key", account.ApiKey, McpNode.Call("stripe__create_refund", new { charge = "ch_1" }));
        var refused = write["steps"]![0]!["result"]!;
        Assert.True(refused["isError"]!.GetValue<bool>(), write.ToJsonString());
        Assert.Contains("402", refused["content"]![0]!["text"].S());

        // Paused: gone from the very next list, and calls fail.
        await Installs.PatchAsync(account, "stripe", new { status = "paused" });
        var paused = await McpNode.RunClientAsync(app.McpUrl, "Authorization", account.ApiKey, McpNode.List(), McpNode.Call("stripe__list_customers", new { }));
        Assert.DoesNotContain(paused["steps"]![0]!["tools"]!.AsArray(), t => t!["name"].S().StartsWith("stripe__", StringComparison.Ordinal));
        Assert.Equal(-32602, paused["steps"]![1]!["error"]!["code"]!.GetValue<int>());
        Assert.Empty(provider.Violations);
    }

    [Fact]
    public async Task Another_accounts_native_tools_are_neither_listed_nor_callable()
    {
        await using var provider = await ProviderStandIn.StartAsync();
        var owner = await app.CreateAccountAsync("owner");
        await Installs.StripeAsync(owner, provider);
        var stranger = await app.CreateAccountAsync("stranger");
        var run = await McpNode.RunClientAsync(app.McpUrl, "Authorization", stranger.ApiKey, McpNode.List(), McpNode.Call("stripe__list_customers", new { }));
        Assert.Empty(run["steps"]![0]!["tools"]!.AsArray());
        Assert.Equal(-32602, run["steps"]![1]!["error"]!["code"]!.GetValue<int>());
        Assert.Empty(provider.Requests);
    }
}
