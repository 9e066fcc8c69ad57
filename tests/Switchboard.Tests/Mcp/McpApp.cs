using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Mcp;

/// <summary>The service on a real Kestrel socket at 127.0.0.1 (out-of-process MCP clients connect to it).</summary>
public sealed class McpApp : SwitchboardApp
{
    public string BaseUrl { get; }
    public string McpUrl => BaseUrl + "/mcp";

    public McpApp()
    {
        var port = McpNode.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        UseKestrel(o => o.Listen(IPAddress.Loopback, port));
    }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:PublicBaseUrl"] = BaseUrl,
        ["Switchboard:RateLimit:Enabled"] = "false",
        ["Switchboard:Mcp:ConnectTimeout"] = "00:00:05",
        ["Switchboard:Mcp:CallTimeout"] = "00:00:05",
    };

    /// <summary>A client over the real socket (the in-memory one would do too; this keeps one path for every test here).</summary>
    public HttpClient SocketClient(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }
}

public static class McpApi
{
    public static async Task<JsonNode> CreateConnectionAsync(this HttpClient client, string name, string url, object? headers = null)
    {
        var response = await client.PostJson("/api/v1/mcp-connections", headers is null ? new { name, url } : new { name, url, headers });
        return await response.ShouldBe(HttpStatusCode.Created);
    }

    public static async Task<JsonNode> RefreshAsync(this HttpClient client, string id) =>
        await (await client.PostAsync($"/api/v1/mcp-connections/{id}/refresh", null)).ShouldBe(HttpStatusCode.OK);
}
